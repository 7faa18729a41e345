//! Withdrawals and forced inclusion through the real `vigil` binary: `withdraw --wait`
//! follows one status line to claimable on a chain that mines blocks on a timer, then
//! `l1 claim --withdrawal-id` fetches the proof from the sequencer and is paid; on a
//! hand-mined chain a forced withdrawal is included by the sequencer, cannot be claimed
//! before its window passes, and is claimable once the blocks are mined; `force withdraw
//! --wait` prints its withdrawal id once executed, as `vigil tx` does.

use crate::rollup::{BTC, BTC_PRICE, Rollup, int, oracle_key, wait_for};
use crate::support::import_key;
use protocol::api::sequencer::{TxState, WithdrawalStatus};
use protocol::primitives::{Address, H256, to_hex};
use std::path::Path;

/// Imports a key named `alice` and funds her L2 account with `usdc` (human units).
async fn funded_alice(rollup: &Rollup, home: &Path, usdc: &str, micro: i128) -> Address {
    let alice = rollup
        .funded_key(home, "alice", [0x33; 32], usdc, micro)
        .await;
    rollup.price(BTC, BTC_PRICE).await;
    alice
}

/// `vigil --json <command…> --wait --timeout-secs 60 --name alice` (a withdrawal, plain
/// or forced, followed until it is done), which must succeed.
async fn waiting(rollup: &Rollup, home: &Path, command: &[&str]) -> serde_json::Value {
    let mut args = vec!["--json"];
    args.extend_from_slice(command);
    args.extend_from_slice(&["--wait", "--timeout-secs", "60", "--name", "alice"]);
    rollup.vigil(home, &args).await.json()
}

/// `vigil --json l1 claim --withdrawal-id <id> --name alice`, which must succeed.
async fn claim_by_id(rollup: &Rollup, home: &Path, id: &str) -> serde_json::Value {
    let args = [
        "--json",
        "l1",
        "claim",
        "--withdrawal-id",
        id,
        "--name",
        "alice",
    ];
    rollup.vigil(home, &args).await.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdraw_wait_then_claim_by_id() {
    let rollup = Rollup::start_with(Some(100)).await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let alice = funded_alice(&rollup, h, "1,000", 1_000_000_000).await;

    let waited = waiting(&rollup, h, &["withdraw", "250"]).await;
    assert_eq!(waited["status"]["status"], "claimable", "{waited}");
    assert_eq!(int(&waited["amount"]), 250_000_000);
    let id = waited["withdrawal_id"].to_string();
    let text = rollup.vigil(h, &["withdrawal", &id]).await.ok();
    assert!(
        text.contains("claimable") && text.contains("250.000000 USDC"),
        "{text}"
    );

    let claimed = claim_by_id(&rollup, h, &id).await;
    assert_eq!(int(&claimed["amount"]), 250_000_000, "{claimed}");
    assert_eq!(claimed["account"], alice.to_string());
    let l1 = rollup.l1.account(&alice).await.expect("L1 account");
    assert_eq!(
        l1.balance, 250_000_000,
        "1,000 faucet − 1,000 deposit + 250"
    );
    let text = rollup.vigil(h, &["withdrawal", &id]).await.ok();
    assert!(text.contains("claimed on L1 in block"), "{text}");
    let view = rollup.seq.account(&alice).await.expect("account");
    assert_eq!(view.collateral, 750_000_000);

    // Without --wait: one status line at once.
    let text = rollup
        .vigil(h, &["withdraw", "100", "--name", "alice"])
        .await
        .ok();
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    assert!(
        text.starts_with("withdrawal ") && text.contains("100.000000 USDC"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_withdrawal_is_included_and_claimable_after_the_window() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let alice = funded_alice(&rollup, h, "1,000", 1_000_000_000).await;

    let forced = waiting(&rollup, h, &["force", "withdraw", "100"]).await;
    assert_eq!(
        int(&forced["queue_index"]),
        1,
        "after the deposit: {forced}"
    );
    assert!(int(&forced["deadline_block"]) > 0);
    // Blocks are mined by hand here, so there is no time estimate.
    assert!(forced["deadline_eta_secs"].is_null(), "{forced}");
    let hash: H256 = serde_json::from_value(forced["tx_hash"].clone()).expect("a hash");
    let lookup = wait_for("the forced withdrawal to be sequenced", || async {
        rollup.seq.tx(&hash).await.ok()
    })
    .await;
    assert_eq!(lookup.state, TxState::Included);
    assert!(lookup.receipt.status.is_ok(), "{:?}", lookup.receipt);
    let id = lookup.receipt.withdrawal_id.expect("a withdrawal id");
    // --wait printed the executed action and its withdrawal id.
    assert_eq!(int(&forced["withdrawal_id"]), i128::from(id), "{forced}");
    assert_eq!(forced["executed"]["receipt"]["status"], "ok", "{forced}");
    let text = rollup
        .vigil(h, &["tx", forced["tx_hash"].as_str().expect("hash")])
        .await
        .ok();
    assert!(text.contains(&format!("withdrawal id {id}")), "{text}");
    let view = rollup.seq.account(&alice).await.expect("account");
    assert_eq!(view.collateral, 900_000_000);

    // A forced cancel-all is queued and included too.
    let cancel = rollup
        .vigil(h, &["--json", "force", "cancel-all", "--name", "alice"])
        .await
        .json();
    assert_eq!(int(&cancel["queue_index"]), 2, "{cancel}");

    // Anyone may relay the oracle's signed price through L1 (here alice, with the test
    // genesis' oracle key); the sequencer executes it like any forced action.
    let oracle_hex = to_hex(&oracle_key().to_bytes());
    let price = rollup
        .vigil(
            h,
            &[
                "--json",
                "force",
                "price",
                "BTC-PERP",
                "50001",
                "--oracle-key",
                &oracle_hex,
                "--name",
                "alice",
            ],
        )
        .await
        .json();
    assert_eq!(int(&price["queue_index"]), 3, "{price}");
    let hash: H256 = serde_json::from_value(price["tx_hash"].clone()).expect("a hash");
    let priced = wait_for("the forced price to be sequenced", || async {
        rollup.seq.tx(&hash).await.ok()
    })
    .await;
    assert!(priced.receipt.status.is_ok(), "{:?}", priced.receipt);

    // Not claimable while its batch is open or in its window (no blocks are mined).
    let early = rollup
        .vigil(
            h,
            &[
                "l1",
                "claim",
                "--withdrawal-id",
                &id.to_string(),
                "--name",
                "alice",
            ],
        )
        .await;
    assert_eq!(early.code, 1, "{early:?}");
    assert!(
        early.stderr.contains("not claimable yet"),
        "{}",
        early.stderr
    );

    let remaining = wait_for("the withdrawal's batch to be posted", || async {
        match rollup.seq.withdrawal(id).await.ok()?.status {
            WithdrawalStatus::ChallengeWindow {
                blocks_remaining, ..
            } => Some(blocks_remaining),
            _ => None,
        }
    })
    .await;
    let text = rollup.vigil(h, &["withdrawal", &id.to_string()]).await.ok();
    assert!(text.contains("challenge window"), "{text}");
    // Its path through the L1 queue is shown too.
    assert!(
        text.contains("forced through L1: queue message 1") && text.contains("consumed by batch"),
        "{text}"
    );
    rollup.mine(remaining + 1).await;
    wait_for("the withdrawal to be claimable", || async {
        let status = rollup.seq.withdrawal(id).await.ok()?.status;
        matches!(status, WithdrawalStatus::Claimable { .. }).then_some(())
    })
    .await;
    let claimed = claim_by_id(&rollup, h, &id.to_string()).await;
    assert_eq!(int(&claimed["amount"]), 100_000_000, "{claimed}");
}

/// `force withdraw --wait` is bounded: with no sequencer to execute the queued action it
/// gives up after --timeout-secs (exit 1) with one line naming the deadline block and the
/// command that looks again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_wait_gives_up_after_its_timeout() {
    let rollup = Rollup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    import_key(h, "alice", &[0x33u8; 32]).await;
    let args = [
        "--sequencer-url",
        "http://127.0.0.1:9",
        "force",
        "withdraw",
        "5",
        "--wait",
        "--timeout-secs",
        "1",
        "--name",
        "alice",
    ];
    let run = crate::support::run_off_runtime(h, Some(&rollup.l1_url), &args).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{run:?}");
    for part in ["not executed within 1 s", "by L1 block", "`vigil tx 0x"] {
        assert!(run.stderr.contains(part), "{part} in {}", run.stderr);
    }
}
