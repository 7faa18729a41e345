//! `vigil fills|trades|candles` against an in-process settlement layer and sequencer:
//! before any trade each says so in one helpful line (and `--json` gives empty lists); an
//! unknown market is the usual usage error with the list of markets; after a resting sell
//! crossed by a buy, each side's fill row (side, role, size, price, fee, order id), the
//! tape and the minute's candle, in text and `--json`; and `--limit` below the number of
//! fills lists the newest whole transaction (all of its fills) with the cursor beyond it.

use crate::rollup::{BTC, BTC_PRICE, Rollup, int};
use protocol::primitives::Address;
use std::path::Path;
use vigil_client::units::format_utc;

/// Imports `name` with `secret` and gives it 100,000 USDC on L2.
async fn funded(rollup: &Rollup, home: &Path, name: &str, secret: [u8; 32]) -> Address {
    let (usdc, micro) = ("100,000", 100_000_000_000);
    rollup.funded_key(home, name, secret, usdc, micro).await
}

/// The table rows of a command's text (the lines after its title and header), as words.
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(2)
        .take_while(|l| !l.starts_with("the newest"))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// A row's first two words are the UTC time of `ms`.
fn assert_time(row: &[String], ms: &serde_json::Value) {
    let ms = u64::try_from(int(ms)).expect("a time");
    assert_eq!(
        format!("{} {}", row[0], row[1]),
        format_utc(ms),
        "{row:?} at {ms}"
    );
}

/// (arguments, exit code, what the output says): before any trade, and unknown markets.
const BEFORE_ANY_TRADE: &[(&[&str], i32, &str)] = &[
    (
        &["fills", "--name", "alice"],
        0,
        "no fills yet for {alice};",
    ),
    (
        &["fills", "--name", "alice"],
        0,
        "place an order with `vigil order buy BTC-PERP SIZE @ PRICE --name alice`",
    ),
    (
        &["fills", "--name", "alice", "--market", "eth-perp"],
        0,
        "no fills in ETH-PERP yet for",
    ),
    (
        &["trades", "BTC-PERP"],
        0,
        "no trades on BTC-PERP yet; see its book with `vigil book BTC-PERP`",
    ),
    (
        &["candles", "BTC-PERP", "--interval", "5m"],
        0,
        "no trades on BTC-PERP yet, so no candles",
    ),
    (
        &["trades", "DOGE-PERP"],
        2,
        "unknown market \"DOGE-PERP\" (markets: BTC-PERP, ETH-PERP)",
    ),
    (
        &["candles", "9"],
        2,
        "unknown market \"9\" (markets: BTC-PERP, ETH-PERP)",
    ),
    (
        &["fills", "--name", "bob", "--market", "DOGE"],
        2,
        "unknown market \"DOGE\" (markets: BTC-PERP, ETH-PERP)",
    ),
    (
        &["candles", "BTC-PERP", "--interval", "2m"],
        2,
        "1m, 5m, 1h, 1d",
    ),
];

/// (the command's `--json` arguments, the list it holds): empty before any trade.
const EMPTY_JSON: &[(&[&str], &str)] = &[
    (&["fills", "--name", "alice"], "fills"),
    (&["trades", "BTC-PERP"], "trades"),
    (&["candles", "BTC-PERP"], "candles"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fills_trades_and_candles_after_two_crossing_orders() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let alice = funded(&rollup, h, "alice", [0x71; 32]).await;
    let bob = funded(&rollup, h, "bob", [0x72; 32]).await;
    rollup.price(BTC, BTC_PRICE).await;

    for (args, code, says) in BEFORE_ANY_TRADE {
        let says = says.replace("{alice}", &alice.to_string());
        let run = rollup.vigil(h, args).await;
        let out = format!("{}{}", run.stdout, run.stderr);
        assert_eq!(run.code, *code, "{args:?}: {out}");
        assert!(out.contains(&says), "{args:?}: {says} in {out}");
        assert_eq!(out.trim().lines().count(), 1, "one line: {out}");
    }
    for (args, list) in EMPTY_JSON {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let json = rollup.vigil(h, &full).await.json();
        assert_eq!(json[list], serde_json::json!([]), "{json}");
    }

    // Alice rests 0.5 @ 50,000; bob crosses it.
    let sell = [
        "--json", "order", "sell", "BTC-PERP", "0.5", "@", "50000", "--name", "alice",
    ];
    let sell = rollup.vigil(h, &sell).await.json();
    let buy = [
        "--json", "order", "buy", "BTC-PERP", "0.5", "@", "50000", "--name", "bob",
    ];
    let buy = rollup.vigil(h, &buy).await.json();
    let fill = &buy["receipt"]["fills"][0];
    assert_eq!(int(&fill["maker_fee"]), 5_000_000, "2 bps of 25,000: {buy}");
    assert_eq!(
        int(&fill["taker_fee"]),
        12_500_000,
        "5 bps of 25,000: {buy}"
    );

    // (name, side, role, fee in micro-USDC and as shown, its order, the counterparty).
    let sides = [
        ("alice", "sell", "maker", 5_000_000, "5.000000", &sell, bob),
        ("bob", "buy", "taker", 12_500_000, "12.500000", &buy, alice),
    ];
    for (name, side, role, raw_fee, fee, order, counterparty) in sides {
        let json = rollup
            .vigil(h, &["--json", "fills", "--name", name])
            .await
            .json();
        let fills = json["fills"].as_array().expect("fills");
        assert_eq!(fills.len(), 1, "{json}");
        let f = &fills[0];
        assert_eq!(json["next_before_seq"], serde_json::Value::Null, "{json}");
        assert_eq!(
            (&f["side"], &f["role"], &f["symbol"]),
            (&side.into(), &role.into(), &"BTC-PERP".into()),
            "{name}: {f}"
        );
        assert_eq!(int(&f["market"]), i128::from(BTC));
        assert_eq!(int(&f["size"]), 5_000, "{f}");
        assert_eq!(int(&f["price"]), i128::from(BTC_PRICE), "{f}");
        assert_eq!(int(&f["fee"]), raw_fee, "{f}");
        assert_eq!(f["order_nonce"], order["order_id"], "{name}: {f}");
        assert_eq!(f["counterparty"], counterparty.to_string(), "{name}: {f}");
        assert_eq!((&f["seq"], &f["tx_hash"]), (&buy["seq"], &buy["hash"]));

        let text = rollup.vigil(h, &["fills", "--name", name]).await.ok();
        let header = text.lines().nth(1).expect("a header");
        let words: Vec<&str> = header.split_whitespace().collect();
        let expected = "time (UTC) market side role size price fee (USDC) order id";
        assert_eq!(words.join(" "), expected, "{text}");
        let rows = rows(&text);
        assert_eq!(rows.len(), 1, "{text}");
        assert_time(&rows[0], &f["timestamp_ms"]);
        // The table prints the id's last six digits (docs/JSON.md).
        let full = order["order_id"].as_u64().expect("an order id");
        let order_id = format!("{:06}", full % 1_000_000);
        assert_eq!(
            rows[0][2..],
            ["BTC-PERP", side, role, "0.5000", "50,000", fee, &order_id],
            "{name}: {text}"
        );
    }

    let json = rollup
        .vigil(h, &["--json", "trades", "btc-perp"])
        .await
        .json();
    assert_eq!(
        (&json["market_symbol"], int(&json["market_id"])),
        (&"BTC-PERP".into(), 1)
    );
    let trade = &json["trades"][0];
    assert_eq!(json["trades"].as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(trade["taker_side"], "buy", "{json}");
    assert_eq!(
        (int(&trade["size"]), int(&trade["price"])),
        (5_000, 50_000_000_000)
    );
    let text = rollup.vigil(h, &["trades", "BTC-PERP"]).await.ok();
    let tape = rows(&text);
    assert_eq!(tape.len(), 1, "{text}");
    assert_time(&tape[0], &trade["timestamp_ms"]);
    assert_eq!(tape[0][2..], ["buy", "0.5000", "50,000"], "{text}");

    let args = ["--json", "candles", "BTC-PERP", "--interval", "1m"];
    let json = rollup.vigil(h, &args).await.json();
    assert_eq!(json["interval"], "1m", "{json}");
    let candles = json["candles"].as_array().expect("candles");
    assert_eq!(candles.len(), 1, "{json}");
    let c = &candles[0];
    let open_ms = int(&c["open_ms"]);
    assert_eq!(open_ms % 60_000, 0, "{c}");
    assert_eq!(
        open_ms,
        int(&trade["timestamp_ms"]) / 60_000 * 60_000,
        "{c}"
    );
    for field in ["open", "high", "low", "close"] {
        assert_eq!(int(&c[field]), i128::from(BTC_PRICE), "{field}: {c}");
    }
    assert_eq!((int(&c["volume"]), int(&c["trades"])), (5_000, 1), "{c}");
    let text = rollup
        .vigil(h, &["candles", "BTC-PERP", "--interval", "1m"])
        .await
        .ok();
    let lines = rows(&text);
    assert_eq!(lines.len(), 1, "{text}");
    assert_time(&lines[0], &c["open_ms"]);
    assert_eq!(
        lines[0][2..],
        ["50,000", "50,000", "50,000", "50,000", "0.5000", "1"],
        "{text}"
    );

    newest_whole_transactions_first(&rollup, h).await;
}

/// (name, --limit, extra arguments, fills listed: their prices, whether more are left).
type Page = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    bool,
);

const PAGES: &[Page] = &[
    ("bob", "1", &[], &["50,002", "50,001", "50,000"], true),
    ("bob", "2", &[], &["50,002", "50,001", "50,000"], true),
    ("bob", "3", &[], &["50,002", "50,001", "50,000"], true),
    (
        "bob",
        "4",
        &[],
        &["50,002", "50,001", "50,000", "50,000"],
        false,
    ),
    (
        "bob",
        "2",
        &["--market", "BTC-PERP"],
        &["50,002", "50,001", "50,000"],
        true,
    ),
    ("alice", "1", &[], &["50,002", "50,001", "50,000"], true),
    (
        "alice",
        "20",
        &[],
        &["50,002", "50,001", "50,000", "50,000"],
        false,
    ),
];

/// Alice rests three asks and bob's one buy takes all three: bob's newest transaction
/// has three fills, listed whole even under a smaller `--limit`, before his first.
async fn newest_whole_transactions_first(rollup: &Rollup, h: &Path) {
    for price in ["50000", "50001", "50002"] {
        let sell = [
            "order", "sell", "BTC-PERP", "0.1", "@", price, "--name", "alice",
        ];
        rollup.vigil(h, &sell).await.ok();
    }
    let buy = [
        "--json", "order", "buy", "BTC-PERP", "0.3", "@", "50002", "--name", "bob",
    ];
    let buy = rollup.vigil(h, &buy).await.json();
    assert_eq!(buy["receipt"]["fills"].as_array().map(Vec::len), Some(3));

    for (name, limit, extra, prices, more) in PAGES {
        let mut args = vec!["fills", "--name", name, "--limit", limit];
        args.extend_from_slice(extra);
        let text = rollup.vigil(h, &args).await.ok();
        // A row's words: date, time, market, side, role, size, price, fee, order id.
        let listed: Vec<String> = rows(&text).iter().map(|r| r[6].clone()).collect();
        assert_eq!(listed, *prices, "{args:?}: {text}");
        assert_eq!(text.contains("shows more"), *more, "{args:?}: {text}");

        let mut json_args = vec!["--json"];
        json_args.extend_from_slice(&args);
        let json = rollup.vigil(h, &json_args).await.json();
        let fills = json["fills"].as_array().expect("fills");
        assert_eq!(fills.len(), prices.len(), "{json}");
        let cursor = &json["next_before_seq"];
        if *more {
            assert_eq!(cursor, &buy["seq"], "the cursor is the shown transaction's");
            assert!(fills.iter().all(|f| f["seq"] == buy["seq"]), "{json}");
        } else {
            assert_eq!(cursor, &serde_json::Value::Null, "{json}");
        }
    }

    let text = rollup
        .vigil(h, &["trades", "BTC-PERP", "--limit", "2"])
        .await
        .ok();
    let tape: Vec<String> = rows(&text).iter().map(|r| r[4].clone()).collect();
    assert_eq!(tape, ["50,002", "50,001", "50,000"], "{text}");
}
