//! Printed hints work when copied: `vigil withdraw --wait` ends by naming the exact claim
//! command (with the key that signed), and running that command as printed claims the
//! withdrawal; claiming again says it was already claimed (not "not claimable yet"); a
//! refusal in `--json` always carries a code.

use crate::rollup::{BTC, BTC_PRICE, Rollup};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_claim_hint_runs_as_printed() {
    let rollup = Rollup::start_with(Some(100)).await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    rollup
        .funded_key(h, "carol", [0x44; 32], "500", 500_000_000)
        .await;
    rollup.price(BTC, BTC_PRICE).await;

    let args = [
        "withdraw",
        "100",
        "--wait",
        "--timeout-secs",
        "60",
        "--name",
        "carol",
    ];
    let printed = rollup.vigil(h, &args).await.ok();
    let hint = printed
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("a command in backticks: {printed}"));
    assert!(
        hint.starts_with("vigil l1 claim --withdrawal-id "),
        "{hint}"
    );
    assert!(hint.ends_with("--name carol"), "{hint}");
    let words: Vec<&str> = hint.split_whitespace().skip(1).collect();
    let claimed = rollup.vigil(h, &words).await;
    assert_eq!(
        claimed.code, 0,
        "the hint as printed: {hint}: {}",
        claimed.stderr
    );

    let again = rollup.vigil(h, &words).await;
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("already claimed"), "{}", again.stderr);
    assert!(
        !again.stderr.contains("not claimable yet"),
        "{}",
        again.stderr
    );

    let mut json_args = vec!["--json"];
    json_args.extend(&words);
    let refused = rollup.vigil(h, &json_args).await;
    let body: serde_json::Value =
        serde_json::from_str(refused.stderr.trim()).expect("a JSON error line");
    assert_eq!(body["code"], "failed", "{body}");
    let usage = rollup
        .vigil(h, &["--json", "withdraw", "0", "--name", "carol"])
        .await;
    let body: serde_json::Value =
        serde_json::from_str(usage.stderr.trim()).expect("a JSON error line");
    assert_eq!(
        (usage.code, body["code"].as_str()),
        (2, Some("usage")),
        "{body}"
    );
}

/// Outcomes say what happened: a market order that finds nothing to match says why it
/// was dropped (and its worst price is 5% from the mark, not the whole band); a resting
/// order cancelled by its owner is named in words, not as an internal enum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfilled_market_order_says_why() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    rollup
        .funded_key(h, "dave", [0x55; 32], "5,000", 5_000_000_000)
        .await;
    rollup.price(BTC, BTC_PRICE).await;

    let text = rollup
        .vigil(h, &["order", "sell", "BTC-PERP", "0.01", "--name", "dave"])
        .await
        .ok();
    assert!(
        text.contains("worst price 47,500"),
        "5% under the 50,000 mark: {text}"
    );
    assert!(
        text.contains("why       nothing rested on the other side at 47,500 or better"),
        "{text}"
    );
    assert!(text.contains("index in batch"), "{text}");
    let json = rollup
        .vigil(
            h,
            &[
                "--json", "order", "sell", "BTC-PERP", "0.01", "--name", "dave",
            ],
        )
        .await
        .json();
    let why = json["cancelled_because"].as_str().expect("a reason");
    assert!(why.contains("immediate-or-cancel"), "{json}");

    let rest = [
        "--json", "order", "buy", "BTC-PERP", "0.01", "@", "49000", "--name", "dave",
    ];
    let id = rollup.vigil(h, &rest).await.json()["order_id"].to_string();
    let cancelled = rollup
        .vigil(h, &["cancel", &id, "--name", "dave"])
        .await
        .ok();
    assert!(cancelled.contains("cancelled by its owner"), "{cancelled}");
    assert!(!cancelled.contains("User"), "{cancelled}");
}

/// An empty book says so, and how to place the first order, instead of a bare rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_book_says_it_is_empty() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    rollup.price(BTC, BTC_PRICE).await;
    let text = rollup.vigil(home.path(), &["book", "BTC-PERP"]).await.ok();
    assert!(text.contains("the book is empty"), "{text}");
    assert!(
        text.contains("vigil order buy BTC-PERP SIZE @ PRICE"),
        "{text}"
    );
    assert!(!text.contains("-----"), "{text}");
}
