//! `vigil watch` as a long-running process: it streams one JSON object per line as the
//! chain moves, and Ctrl-C (SIGINT) ends it with exit code 0; with `--account` its orders
//! and withdrawals come from the feed.

use crate::rollup::{BTC, BTC_PRICE, PATIENCE, Rollup, int};
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_streams_lines_and_ctrl_c_exits_0() {
    let rollup = Rollup::start().await;
    rollup.price(BTC, BTC_PRICE).await;
    let home = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env_remove("VIGIL_HOME")
        .args(["--data-dir".as_ref(), home.path().as_os_str()])
        .args([
            "--l1-url",
            &rollup.l1_url,
            "--sequencer-url",
            &rollup.seq_url,
        ])
        .args(["--json", "watch", "--from-start"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vigil watch");
    let stdout = child.stdout.take().expect("piped stdout");
    // The price update is the chain's first transaction: its line comes without waiting
    // for anything else. Reading is bounded by PATIENCE.
    let first = tokio::time::timeout(
        PATIENCE,
        tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            // The reader is kept open, so the watch is stopped by the signal alone.
            reader.read_line(&mut line).map(|_| (line, reader))
        }),
    )
    .await
    .expect("a line within the time limit")
    .expect("the reader thread")
    .expect("read a line");
    let (first, _reader) = first;
    let value: serde_json::Value = serde_json::from_str(&first).expect("a JSON line");
    assert!(value["kind"].is_string(), "{first}");

    let pid = child.id().to_string();
    let signalled = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(signalled.success());
    let status = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("the waiting thread")
        .expect("vigil watch exits");
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// With `--account`, the account's orders and withdrawals come from the sequencer's feed
/// (`order` and `withdrawal` lines) instead of polled transactions; `--from-start` replays
/// those sequenced before the watch began.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_with_an_account_prints_its_orders_and_withdrawals_from_the_feed() {
    let rollup = Rollup::start().await;
    rollup.price(BTC, BTC_PRICE).await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let alice = rollup
        .funded_key(h, "alice", [7u8; 32], "100,000", 100_000_000_000)
        .await;
    let order = [
        "order", "sell", "BTC-PERP", "0.5", "@", "50000", "--name", "alice",
    ];
    rollup.vigil(h, &order).await.ok();
    rollup
        .vigil(h, &["withdraw", "10", "--name", "alice"])
        .await
        .ok();
    let account = alice.to_string();
    for (kind, field) in [("order", "order"), ("withdrawal", "withdrawal")] {
        let args = [
            "--json",
            "watch",
            "--from-start",
            "--account",
            &account,
            "--kind",
            kind,
            "--count",
            "1",
            "--for-secs",
            "60",
        ];
        let out = rollup.vigil(h, &args).await.ok();
        let line: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
        assert_eq!(line["kind"], kind, "{out}");
        assert!(line[field]["seq"].is_u64(), "{out}");
        if kind == "order" {
            assert_eq!(line["order"]["event"], "placed", "{out}");
        } else {
            assert_eq!(int(&line["withdrawal"]["amount"]), 10_000_000, "{out}");
        }
    }
}
