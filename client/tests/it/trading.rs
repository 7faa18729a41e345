//! Trading through the real `vigil` binary against an in-process settlement layer and
//! sequencer: deposits, a resting sell crossed by a buy (fills and positions in `--json`),
//! account, positions and book, cancel and a market order, a devnet account resolved from
//! `devnet.json` (URLs and key), a forced close through L1, `watch`, and every bad input as a one-line error with its
//! exit code.

use crate::rollup::{BTC, BTC_PRICE, Rollup, genesis, int, wait_for};
use crate::support::run_off_runtime;
use protocol::primitives::{Address, H256, to_hex};
use protocol::signing::{address_of, signing_key_from_bytes};
use std::path::Path;
use vigil_client::devnet::manifest::{DevAccount, DevnetManifest};

/// Writes a devnet manifest naming the rollup's URLs and one dev account `dev1`.
fn write_manifest(home: &Path, rollup: &Rollup, secret: [u8; 32]) -> Address {
    let key = signing_key_from_bytes(&secret).expect("key");
    let g = genesis();
    let manifest = DevnetManifest {
        l1_url: rollup.l1_url.clone(),
        sequencer_url: rollup.seq_url.clone(),
        verifier_urls: vec![],
        chain_id: g.chain_id,
        verifying_contract: g.verifying_contract,
        markets: g.markets.clone(),
        genesis: Some(protocol::api::genesis::GenesisView::of(&g)),
        explorer_url: None,
        accounts: vec![DevAccount {
            name: "dev1".into(),
            address: address_of(&key),
            private_key: to_hex(&secret),
        }],
    };
    let dir = home.join("devnet");
    std::fs::create_dir_all(&dir).expect("devnet dir");
    manifest.store(&dir).expect("store manifest");
    address_of(&key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_trade_and_see_their_positions() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let alice_secret = [0x11u8; 32];
    let alice = address_of(&signing_key_from_bytes(&alice_secret).expect("key"));
    rollup
        .vigil(
            h,
            &[
                "keys",
                "import",
                "--name",
                "alice",
                "--private-key",
                &to_hex(&alice_secret),
            ],
        )
        .await
        .ok();
    let bob = write_manifest(h, &rollup, [0x22; 32]);
    for name in ["alice", "dev1"] {
        for step in ["faucet", "deposit"] {
            let args = ["l1", step, "--name", name, "--amount", "100,000"];
            rollup.vigil(h, &args).await.ok();
        }
    }
    rollup.wait_collateral(&alice, 100_000_000_000).await;
    rollup.wait_collateral(&bob, 100_000_000_000).await;
    rollup.price(BTC, BTC_PRICE).await;

    // Alice rests a sell; dev1 (from devnet.json, no URL flags at all) crosses it.
    let sell = rollup
        .vigil(
            h,
            &[
                "--json", "order", "sell", "BTC-PERP", "0.5", "@", "50000", "--name", "alice",
            ],
        )
        .await
        .json();
    assert_eq!(sell["status"], "ok", "{sell}");
    assert_eq!(int(&sell["receipt"]["order"]["resting"]), 5_000);
    let buy = run_off_runtime(
        h,
        None,
        &[
            "--json", "order", "buy", "btc-perp", "0.5", "@50,000", "--name", "dev1",
        ],
    )
    .await
    .json();
    let fills = buy["receipt"]["fills"].as_array().expect("fills");
    assert_eq!(fills.len(), 1, "{buy}");
    assert_eq!(int(&fills[0]["size"]), 5_000);
    assert_eq!(int(&fills[0]["price"]), i128::from(BTC_PRICE));
    assert_eq!(fills[0]["maker"], alice.to_string());
    assert_eq!(fills[0]["maker_nonce"], sell["order_id"]);

    let text = rollup
        .vigil(
            h,
            &[
                "order", "sell", "BTC-PERP", "0.1", "@", "51000", "--name", "alice",
            ],
        )
        .await
        .ok();
    assert!(
        text.contains("sell 0.1000 BTC-PERP @ 51,000 (GTC)"),
        "{text}"
    );
    assert!(text.contains("seq ") && text.contains("tx "), "{text}");

    // Positions: alice short 0.5, dev1 long 0.5.
    for (name, size) in [("alice", -5_000), ("dev1", 5_000)] {
        let positions = rollup
            .vigil(h, &["--json", "positions", "--name", name])
            .await
            .json();
        let list = positions["positions"].as_array().expect("positions");
        assert_eq!(list.len(), 1, "{positions}");
        assert_eq!(int(&list[0]["size"]), size, "{name}");
        assert_eq!(int(&list[0]["entry_price"]), i128::from(BTC_PRICE));
    }
    let account = rollup.vigil(h, &["account", "--name", "alice"]).await.ok();
    for part in [
        "collateral",
        "equity",
        "available to withdraw",
        "short",
        "0.5000",
        "50,000",
        "51,000",
        "sell",
    ] {
        assert!(account.contains(part), "{part} in {account}");
    }

    // The book shows alice's remaining ask; a resting bid appears and is cancelled by id.
    let bid = rollup
        .vigil(
            h,
            &[
                "--json", "order", "buy", "BTC-PERP", "0.2", "@", "49000", "--name", "alice",
            ],
        )
        .await
        .json();
    let bid_id = bid["order_id"].to_string();
    let book = run_off_runtime(h, None, &["--json", "book", "BTC-PERP", "--levels", "5"])
        .await
        .json();
    assert_eq!(int(&book["asks"][0]["price"]), 51_000_000_000, "{book}");
    assert_eq!(int(&book["asks"][0]["size"]), 1_000);
    assert_eq!(int(&book["bids"][0]["price"]), 49_000_000_000);
    assert_eq!(int(&book["bids"][0]["size"]), 2_000);
    let text = rollup.vigil(h, &["book", "BTC-PERP"]).await.ok();
    assert!(text.contains("51,000") && text.contains("49,000"), "{text}");
    let cancelled = rollup
        .vigil(h, &["--json", "cancel", &bid_id, "--name", "alice"])
        .await
        .json();
    assert_eq!(
        cancelled["receipt"]["cancelled"][0]["nonce"].to_string(),
        bid_id
    );
    let book = rollup.vigil(h, &["--json", "book", "1"]).await.json();
    assert!(book["bids"].as_array().expect("bids").is_empty(), "{book}");

    // A market order (no price) takes alice's ask at 51,000; cancel-all then finds nothing.
    let market = rollup
        .vigil(
            h,
            &[
                "--json", "order", "buy", "BTC-PERP", "0.1", "--name", "dev1",
            ],
        )
        .await
        .json();
    assert_eq!(int(&market["receipt"]["fills"][0]["price"]), 51_000_000_000);
    assert_eq!(int(&market["receipt"]["order"]["filled"]), 1_000);
    let none = rollup
        .vigil(h, &["--json", "cancel-all", "--name", "alice"])
        .await
        .json();
    assert_eq!(
        none["receipt"]["cancelled"].as_array().map(Vec::len),
        Some(0)
    );

    // Alice is short 0.6; dev1 offers 0.6 and alice force-closes through the L1 queue.
    let args = [
        "order", "sell", "BTC-PERP", "0.6", "@", "50000", "--name", "dev1",
    ];
    rollup.vigil(h, &args).await.ok();
    let forced = rollup
        .vigil(
            h,
            &[
                "--json", "force", "close", "BTC-PERP", "--wait", "--name", "alice",
            ],
        )
        .await
        .json();
    assert_eq!(
        int(&forced["executed"]["receipt"]["order"]["filled"]),
        6_000,
        "{forced}"
    );
    let hash: H256 = serde_json::from_value(forced["tx_hash"].clone()).expect("a hash");
    assert_eq!(forced["action"]["message"]["reduceOnly"], true, "{forced}");
    assert_eq!(int(&forced["action"]["message"]["size"]), 6_000, "{forced}");
    let lookup = wait_for("the forced close to be sequenced", || async {
        rollup.seq.tx(&hash).await.ok()
    })
    .await;
    assert_eq!(lookup.receipt.fills.len(), 1, "{:?}", lookup.receipt);
    let positions = rollup
        .vigil(h, &["--json", "positions", "--name", "alice"])
        .await
        .json();
    assert_eq!(positions["positions"], serde_json::json!([]), "{positions}");

    // watch: the first three things since genesis, one JSON object per line.
    let watched = rollup
        .vigil(
            h,
            &[
                "--json",
                "watch",
                "--from-start",
                "--count",
                "3",
                "--for-secs",
                "30",
            ],
        )
        .await
        .ok();
    let lines: Vec<serde_json::Value> = watched
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 3, "{watched}");
    assert!(lines.iter().all(|l| l["kind"].is_string()), "{watched}");
    let text = rollup
        .vigil(
            h,
            &["watch", "--from-start", "--count", "2", "--for-secs", "30"],
        )
        .await
        .ok();
    assert_eq!(text.lines().count(), 2, "{text}");
}

/// Runs `args` and checks the exit code and that the error is one line naming `part`.
async fn check(rollup: &Rollup, home: &Path, args: &[&str], code: i32, part: &str) {
    let run = rollup.vigil(home, args).await;
    assert_eq!(run.code, code, "{args:?}: {run:?}");
    assert_eq!(
        run.stderr.trim_end().lines().count(),
        1,
        "{args:?}: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(part),
        "{args:?}: {} lacks {part:?}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_one_line_errors_with_exit_codes() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    rollup
        .vigil(h, &["keys", "new", "--name", "carol"])
        .await
        .ok();
    rollup.price(BTC, BTC_PRICE).await;
    let order = |size: &'static str, price: &'static str| {
        [
            "order", "buy", "BTC-PERP", size, "@", price, "--name", "carol",
        ]
    };
    check(
        &rollup,
        h,
        &[
            "order",
            "buy",
            "DOGE-PERP",
            "1",
            "@",
            "1",
            "--name",
            "carol",
        ],
        2,
        "unknown market",
    )
    .await;
    check(&rollup, h, &order("0.00001", "50000"), 2, "decimal places").await;
    check(&rollup, h, &order("abc", "50000"), 2, "bad size").await;
    check(&rollup, h, &order("0", "50000"), 2, "positive").await;
    check(&rollup, h, &order("0.1", "50000.5"), 2, "tick").await;
    check(&rollup, h, &order("0.1", "-5"), 2, "").await;
    check(
        &rollup,
        h,
        &[
            "order", "buy", "BTC-PERP", "0.1", "@", "1", "--name", "nobody",
        ],
        2,
        "no key named \"nobody\"",
    )
    .await;
    check(
        &rollup,
        h,
        &[
            "order", "buy", "BTC-PERP", "0.1", "--fok", "--name", "carol",
        ],
        2,
        "IOC",
    )
    .await;
    // Refused by the engine: carol has no collateral.
    check(
        &rollup,
        h,
        &["withdraw", "1", "--name", "carol"],
        1,
        "insufficient_collateral",
    )
    .await;
    check(
        &rollup,
        h,
        &["withdraw", "0", "--name", "carol"],
        2,
        "positive",
    )
    .await;
    check(
        &rollup,
        h,
        &["withdraw", "1.0000001", "--name", "carol"],
        2,
        "decimal places",
    )
    .await;
    check(&rollup, h, &["withdrawal", "99"], 1, "unknown_withdrawal").await;
    check(
        &rollup,
        h,
        &["cancel", "5", "--name", "carol"],
        2,
        "no open order 5",
    )
    .await;
    check(
        &rollup,
        h,
        &["force", "close", "BTC-PERP", "--name", "carol"],
        2,
        "no position",
    )
    .await;
    check(
        &rollup,
        h,
        &["book", "BTC-PERP", "--levels", "0"],
        2,
        "levels",
    )
    .await;
    check(
        &rollup,
        h,
        &["l1", "claim", "--withdrawal-id", "7", "--name", "carol"],
        1,
        "unknown_withdrawal",
    )
    .await;
    let unreachable = ["--sequencer-url", "http://127.0.0.1:9", "book", "BTC-PERP"];
    let run = run_off_runtime(h, Some(&rollup.l1_url), &unreachable).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("cannot reach the sequencer"),
        "{}",
        run.stderr
    );
}
