//! `vigil bench` against an in-process settlement layer and sequencer: it funds its own
//! fresh accounts, submits a bounded number of orders and reports throughput, latency
//! percentiles, rejections and the ratio to this machine's signature-recovery rate.

use crate::rollup::{BTC, BTC_PRICE, Rollup, int};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_reports_throughput_latency_and_the_recovery_ratio() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    rollup.price(BTC, BTC_PRICE).await;

    let text = rollup
        .vigil(
            h,
            &[
                "bench",
                "--count",
                "200",
                "--concurrency",
                "8",
                "--accounts",
                "4",
                "--recoveries",
                "1000",
            ],
        )
        .await
        .ok();
    for part in [
        "bench: 200 orders on BTC-PERP",
        "accepted",
        "p50",
        "p99.9",
        "ratio",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }

    let report = rollup
        .vigil(
            h,
            &[
                "--json",
                "bench",
                "--count",
                "60",
                "--concurrency",
                "4",
                "--accounts",
                "2",
                "--recoveries",
                "500",
                "--market",
                "BTC-PERP",
            ],
        )
        .await
        .json();
    assert_eq!(int(&report["submitted"]), 60, "{report}");
    assert_eq!(
        int(&report["accepted"]) + int(&report["rejected"]),
        60,
        "{report}"
    );
    assert_eq!(
        int(&report["rejected"]),
        0,
        "crossing orders at the mark: {report}"
    );
    assert!(int(&report["accepted_per_sec"]) > 0, "{report}");
    assert!(int(&report["recoveries_per_sec"]) > 0, "{report}");
    assert!(report["ratio_bps"].is_u64(), "{report}");
    assert!(int(&report["libsecp_recoveries_per_sec"]) > 0, "{report}");
    assert!(report["libsecp_ratio_bps"].is_u64(), "{report}");
    assert!(
        int(&report["latency_p50_us"]) <= int(&report["latency_p99_us"])
            && int(&report["latency_p99_us"]) <= int(&report["latency_p999_us"]),
        "{report}"
    );

    // The bench traded: both sides of its crossing orders filled.
    let book = rollup
        .vigil(h, &["--json", "book", "BTC-PERP"])
        .await
        .json();
    let resting: usize = ["bids", "asks"]
        .iter()
        .map(|side| book[side].as_array().map_or(0, Vec::len))
        .sum();
    assert!(
        resting <= 2,
        "crossing orders leave at most a level per side: {book}"
    );
}

/// `--rate`: an open loop. The orders are offered on the clock's schedule (so the run
/// lasts at least until the last one is due) and the report says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_loop_offers_orders_on_the_clock() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    rollup.price(BTC, BTC_PRICE).await;
    let args = [
        "--json",
        "bench",
        "--count",
        "100",
        "--rate",
        "200",
        "--concurrency",
        "64",
        "--accounts",
        "2",
        "--recoveries",
        "200",
    ];
    let report = rollup.vigil(home.path(), &args).await.json();
    assert_eq!(report["offered_per_sec"], 200, "{report}");
    assert_eq!(int(&report["accepted"]), 100, "{report}");
    // The 100th order is due 99/200 s after the first: the schedule, not the answers,
    // sets the pace.
    assert!(int(&report["elapsed_ms"]) >= 495, "{report}");
    let text = rollup.vigil(home.path(), &args[1..]).await.ok();
    assert!(text.contains("offered open-loop at 200/s"), "{text}");

    let zero = rollup.vigil(home.path(), &["bench", "--rate", "0"]).await;
    assert_eq!(zero.code, 2, "{}", zero.stderr);
    assert!(
        zero.stderr.contains("--rate must be at least 1"),
        "{}",
        zero.stderr
    );
}

/// `--transport ws`: the same orders streamed over the sequencer's WebSocket intake, every
/// one answered (accepted: they cross at the mark), in both loops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_transport_streams_the_orders() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    rollup.price(BTC, BTC_PRICE).await;
    for rate in [None, Some("400")] {
        let mut args = vec!["--json", "bench", "--transport", "ws", "--count", "80"];
        args.extend([
            "--concurrency",
            "80",
            "--accounts",
            "2",
            "--recoveries",
            "200",
        ]);
        if let Some(rate) = rate {
            args.extend(["--rate", rate]);
        }
        let report = rollup.vigil(home.path(), &args).await.json();
        assert_eq!(report["transport"], "ws", "{report}");
        assert_eq!(int(&report["accepted"]), 80, "{report}");
    }
    let args = [
        "bench",
        "--transport",
        "ws",
        "--count",
        "10",
        "--accounts",
        "1",
    ];
    let text = rollup.vigil(home.path(), &args).await.ok();
    assert!(text.contains("over WebSocket (/v1/tx/ws)"), "{text}");
}
