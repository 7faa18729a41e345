//! What `vigil account` and `vigil positions` derive from the engine's view, checked
//! against the engine itself: the printed liquidation price is where the sequencer's own
//! view turns liquidatable (a dollar either side, for a long and a short), and "available
//! to withdraw" is exactly the most the engine lets out (that amount passes, one
//! micro-USDC more is refused). Text output has fixed decimals and the new columns. A
//! forced close that meets an empty book says so, with --wait or through `vigil tx`.

use crate::rollup::{BTC, BTC_PRICE, Rollup, int, wait_for};
use protocol::primitives::Address;
use std::path::Path;

/// Imports `name` with `secret` and gives it 10,000 USDC on L2.
async fn funded(rollup: &Rollup, home: &Path, name: &str, secret: [u8; 32]) -> Address {
    let (usdc, micro) = ("10,000", 10_000_000_000);
    rollup.funded_key(home, name, secret, usdc, micro).await
}

/// `name`'s only position as `vigil --json positions` shows it.
async fn position(rollup: &Rollup, home: &Path, name: &str) -> serde_json::Value {
    let args = ["--json", "positions", "--name", name];
    let json = rollup.vigil(home, &args).await.json();
    let list = json["positions"].as_array().expect("positions");
    assert_eq!(list.len(), 1, "{json}");
    list[0].clone()
}

/// Whether the sequencer's view says `address` may be liquidated now.
async fn liquidatable(rollup: &Rollup, address: &Address) -> bool {
    let view = rollup.seq.account(address).await.expect("account");
    !view.liquidatable_markets.is_empty()
}

/// (side, price offset from the printed liquidation price, liquidatable there?).
const AROUND_LIQUIDATION: &[(&str, i128, bool)] = &[
    ("bob", 1_000_000, false),
    ("bob", -1_000_000, true),
    ("alice", -1_000_000, false),
    ("alice", 1_000_000, true),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liquidation_price_and_withdrawable_match_the_engine() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let alice = funded(&rollup, h, "alice", [0x61; 32]).await;
    let bob = funded(&rollup, h, "bob", [0x62; 32]).await;
    rollup.price(BTC, BTC_PRICE).await;
    // Alice shorts 0.5 BTC to bob at 50,000: 4× notional of their 10,000 less fees.
    let sell = [
        "order", "sell", "BTC-PERP", "0.5", "@", "50000", "--name", "alice",
    ];
    rollup.vigil(h, &sell).await.ok();
    let buy = [
        "order", "buy", "BTC-PERP", "0.5", "@", "50000", "--name", "bob",
    ];
    let receipt = rollup.vigil(h, &buy).await.ok();
    assert!(
        receipt.contains("filled    0.5000 (resting 0.0000"),
        "{receipt}"
    );

    let long = position(&rollup, h, "bob").await;
    let short = position(&rollup, h, "alice").await;
    assert_eq!(
        (long["side"].as_str(), short["side"].as_str()),
        (Some("long"), Some("short"))
    );
    let leverage = int(&long["leverage_bps"]);
    assert!((25_000..25_100).contains(&leverage), "about 2.5×: {long}");
    let text = rollup.vigil(h, &["positions", "--name", "bob"]).await.ok();
    for part in [
        "side",
        "liq. price",
        "leverage",
        "long",
        "0.5000",
        "50,000",
        "2.50x",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }

    for (name, offset, expected) in AROUND_LIQUIDATION {
        let (json, address) = if *name == "bob" {
            (&long, bob)
        } else {
            (&short, alice)
        };
        let price = int(&json["liquidation_price"]) + offset;
        rollup
            .price(BTC, u64::try_from(price).expect("a price"))
            .await;
        assert_eq!(
            liquidatable(&rollup, &address).await,
            *expected,
            "{name} at {price}: {json}"
        );
    }

    rollup.price(BTC, BTC_PRICE + 1).await;
    let account = ["--json", "account", "--name", "bob"];
    let available = int(&rollup.vigil(h, &account).await.json()["available_to_withdraw"]);
    let text = rollup.vigil(h, &["account", "--name", "bob"]).await.ok();
    let shown = vigil_client::units::format_usdc_fixed(available);
    assert!(
        text.contains(&format!("available to withdraw  {shown} USDC")),
        "{text}"
    );
    assert!(text.contains(".000000 USDC"), "fixed decimals: {text}");
    let micro = u64::try_from(available).expect("positive");
    let too_much = vigil_client::units::format_usdc_fixed(micro + 1);
    let refused = rollup
        .vigil(h, &["withdraw", &too_much, "--name", "bob"])
        .await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("insufficient_margin"),
        "{refused:?}"
    );
    let exact = vigil_client::units::format_usdc_fixed(micro);
    rollup
        .vigil(h, &["withdraw", &exact, "--name", "bob"])
        .await
        .ok();
    let after = int(&rollup.vigil(h, &account).await.json()["available_to_withdraw"]);
    assert_eq!(after, 0, "everything available was withdrawn");
    forced_close_says_what_it_filled(&rollup, h).await;
}

/// Bob's long meets an empty book: a forced close without --wait names the command that
/// shows its outcome (which runs as printed once executed); with --wait it says itself
/// that nothing filled, and why.
async fn forced_close_says_what_it_filled(rollup: &Rollup, h: &Path) {
    let queued = rollup
        .vigil(h, &["force", "close", "BTC-PERP", "--name", "bob"])
        .await
        .ok();
    let hint = queued
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("a command in backticks: {queued}"));
    assert!(hint.starts_with("vigil tx 0x"), "{queued}");
    let words: Vec<&str> = hint.split_whitespace().skip(1).collect();
    let shown = wait_for("the hint's transaction to be executed", || async {
        let run = rollup.vigil(h, &words).await;
        (run.code == 0).then_some(run.stdout)
    })
    .await;
    assert!(shown.contains("executed, batch"), "{shown}");
    assert!(shown.contains("cancelled 0.5000"), "{shown}");

    let args = [
        "force",
        "close",
        "BTC-PERP",
        "--wait",
        "--timeout-secs",
        "60",
        "--name",
        "bob",
    ];
    let text = rollup.vigil(h, &args).await.ok();
    for part in [
        "filled    0.0000 (resting 0.0000, cancelled 0.5000)",
        "why       nothing rested on the other side",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
}
