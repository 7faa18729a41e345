//! Agent keys through the real `vigil` binary (PROTOCOL.md Part 4 §18): alice approves a
//! bot key (`vigil agent approve`), lists it, the bot places and cancels orders for her
//! with `--as`, its receipt names it, and after `vigil agent revoke` its order is refused
//! with `agent_not_approved` (exit 1, one line). On the way, `vigil dead-man` sets alice's
//! switch and the bot clears it for her.

use crate::rollup::{BTC, BTC_PRICE, Rollup};
use protocol::primitives::to_hex;
use protocol::signing::{address_of, signing_key_from_bytes};
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_key_trades_for_its_account_until_revoked() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let (alice_secret, bot_secret) = ([0x31u8; 32], [0x32u8; 32]);
    let alice = address_of(&signing_key_from_bytes(&alice_secret).expect("key"));
    let bot = address_of(&signing_key_from_bytes(&bot_secret).expect("key"));
    for (name, secret) in [("alice", alice_secret), ("bot", bot_secret)] {
        let args = [
            "keys",
            "import",
            "--name",
            name,
            "--private-key",
            &to_hex(&secret),
        ];
        rollup.vigil(h, &args).await.ok();
    }
    for step in ["faucet", "deposit"] {
        let args = ["l1", step, "--name", "alice", "--amount", "10,000"];
        rollup.vigil(h, &args).await.ok();
    }
    rollup.wait_collateral(&alice, 10_000_000_000).await;
    rollup.price(BTC, BTC_PRICE).await;
    let (alice_hex, bot_hex) = (alice.to_string(), bot.to_string());

    let approve = [
        "--json",
        "agent",
        "approve",
        &bot_hex,
        "--agent-name",
        "bot",
        "--valid-for",
        "30d",
        "--name",
        "alice",
    ];
    let approved = rollup.vigil(h, &approve).await.json();
    assert_eq!(approved["status"], "ok", "{approved}");
    let listed = rollup
        .vigil(h, &["--json", "agent", "list", "--name", "alice"])
        .await
        .json();
    assert_eq!(listed["agents"][0]["agent"], bot_hex, "{listed}");
    assert_eq!(listed["agents"][0]["active"], true, "{listed}");
    let text = rollup
        .vigil(h, &["agent", "list", "--address", &alice_hex])
        .await
        .ok();
    assert!(
        text.contains(&bot_hex) && text.contains("until 20"),
        "{text}"
    );

    let bid = [
        "--json", "order", "buy", "BTC-PERP", "0.1", "@", "49000", "--name", "bot", "--as",
        &alice_hex,
    ];
    let placed = rollup.vigil(h, &bid).await.json();
    assert_eq!(placed["status"], "ok", "{placed}");
    assert_eq!(placed["account"], alice_hex, "{placed}");
    assert_eq!(
        placed["receipt"]["agent"], bot_hex,
        "the receipt names the agent"
    );
    let view = rollup
        .vigil(h, &["--json", "account", "--address", &alice_hex])
        .await
        .json();
    assert_eq!(
        view["open_orders"].as_array().map(Vec::len),
        Some(1),
        "{view}"
    );
    let text = rollup
        .vigil(h, &["cancel-all", "--name", "bot", "--as", &alice_hex])
        .await
        .ok();
    assert!(
        text.contains("cancelled 1 open orders") && text.contains("as its agent"),
        "{text}"
    );

    dead_man_set_shown_and_cleared(&rollup, h, &alice_hex).await;

    // The bot cannot withdraw: its key never signs for alice's money (there is no --as on
    // withdraw); after revocation it cannot trade either.
    let revoke = ["agent", "revoke", &bot_hex, "--name", "alice"];
    rollup.vigil(h, &revoke).await.ok();
    let refused = rollup.vigil(h, &bid[1..]).await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(
        refused.stderr.trim_end().lines().count(),
        1,
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("agent_not_approved"),
        "{}",
        refused.stderr
    );
    let bad = rollup
        .vigil(
            h,
            &[
                "agent",
                "approve",
                &bot_hex,
                "--valid-for",
                "soon",
                "--name",
                "alice",
            ],
        )
        .await;
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("unit s, m, h or d"), "{}", bad.stderr);
}

/// `vigil dead-man` (PROTOCOL.md Part 4 §19): alice sets her switch 30 s ahead (shown by
/// `show` and `account`), her bot clears it with `--as`; a switch under 5 s ahead is refused
/// before anything is signed (exit 2).
async fn dead_man_set_shown_and_cleared(rollup: &Rollup, h: &Path, alice_hex: &str) {
    let set = [
        "--json", "dead-man", "set", "--in", "30s", "--name", "alice",
    ];
    let set = rollup.vigil(h, &set).await.json();
    assert_eq!(set["status"], "ok", "{set}");
    let at = set["dead_man_at_ms"].as_u64().expect("the switch's time");
    let show = ["--json", "dead-man", "show", "--name", "alice"];
    let shown = rollup.vigil(h, &show).await.json();
    assert_eq!(shown["dead_man_at_ms"].as_u64(), Some(at), "{shown}");
    let text = rollup
        .vigil(h, &["account", "--address", alice_hex])
        .await
        .ok();
    assert!(text.contains("dead-man's switch"), "{text}");
    let clear = [
        "--json", "dead-man", "clear", "--name", "bot", "--as", alice_hex,
    ];
    let cleared = rollup.vigil(h, &clear).await.json();
    assert_eq!(cleared["status"], "ok", "{cleared}");
    assert_eq!(cleared["agent"], cleared["receipt"]["agent"], "{cleared}");
    let text = rollup
        .vigil(h, &["dead-man", "show", "--address", alice_hex])
        .await
        .ok();
    assert!(text.contains("has no dead-man's switch"), "{text}");
    let soon = ["dead-man", "set", "--in", "2s", "--name", "alice"];
    let soon = rollup.vigil(h, &soon).await;
    assert_eq!(soon.code, 2, "{soon:?}");
    assert!(
        soon.stderr.contains("at least 5 s ahead"),
        "{}",
        soon.stderr
    );
}
