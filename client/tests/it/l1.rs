//! `vigil l1` through the real binary against an in-process settlement layer on
//! 127.0.0.1:0 (hand-mined blocks): faucet → balance → deposit, checked through the typed
//! client too; refusals and an unreachable server are exit-1 one-liners.

use crate::support::{Run, run_off_runtime};
use contracts_mock::Config;
use protocol::action::L1Message;
use protocol::api::settlement::MineRequest;
use protocol::genesis::Genesis;
use protocol::primitives::Address;
use service_client::settlement::SettlementClient;
use std::path::Path;
use test_support::SettlementLayer;

/// A settlement layer served in this process until dropped: the devnet genesis (with a
/// placeholder oracle), hand-mined blocks, and the terms `tweak` sets.
pub async fn start_l1(tweak: impl FnOnce(&mut Config)) -> SettlementLayer {
    let genesis = Genesis::devnet(31337, Config::default_rollup_address(), Address([0x0a; 20]));
    SettlementLayer::start(genesis, tweak).await
}

/// Runs the binary against the settlement layer at `url`, off the async runtime.
pub async fn run(home: &Path, url: &str, args: &[&str]) -> Run {
    run_off_runtime(home, Some(url), args).await
}

pub fn u64_of(value: &serde_json::Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faucet_balance_deposit() {
    let l1 = start_l1(|_| {}).await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    let alice = run(h, &l1.url, &["--json", "keys", "new", "--name", "alice"])
        .await
        .json();
    let alice: Address = alice["account"]
        .as_str()
        .expect("address")
        .parse()
        .expect("address");
    let bob = Address([0xb0; 20]);

    let minted = run(
        h,
        &l1.url,
        &[
            "--json", "l1", "faucet", "--name", "alice", "--amount", "1,000",
        ],
    )
    .await
    .json();
    assert_eq!(u64_of(&minted, "balance"), 1_000_000_000);
    let text = run(h, &l1.url, &["l1", "balance", "--name", "alice"])
        .await
        .ok();
    assert!(text.contains("1,000.000000 USDC"), "{text}");

    let first = run(
        h,
        &l1.url,
        &[
            "--json", "l1", "deposit", "--name", "alice", "--amount", "250.5",
        ],
    )
    .await
    .json();
    assert_eq!(u64_of(&first, "queue_index"), 0);
    assert_eq!(u64_of(&first, "l1_nonce"), 0);
    // Mining between calls: the next deposit is signed with the next nonce all the same.
    let l1_client = SettlementClient::new(&l1.url);
    l1_client
        .mine(&MineRequest {
            blocks: 2,
            timestamp_ms: None,
        })
        .await
        .expect("mine");
    let bob_text = bob.to_string();
    let second = run(
        h,
        &l1.url,
        &[
            "--json", "l1", "deposit", "--name", "alice", "--amount", "0.25", "--to", &bob_text,
        ],
    )
    .await
    .json();
    assert_eq!(u64_of(&second, "queue_index"), 1);
    assert_eq!(u64_of(&second, "l1_nonce"), 1);
    assert_eq!(u64_of(&second, "block"), 2);
    assert_eq!(
        u64_of(&second, "deadline_block"),
        12,
        "default D = 10 blocks"
    );

    let balance = run(
        h,
        &l1.url,
        &["--json", "l1", "balance", "--address", &alice.to_string()],
    )
    .await
    .json();
    assert_eq!(
        u64_of(&balance, "balance"),
        1_000_000_000 - 250_500_000 - 250_000
    );
    assert_eq!(u64_of(&balance, "nonce"), 2);

    let queue = l1_client.queue(0, 10).await.expect("queue");
    assert_eq!(queue.length, 2);
    let messages: Vec<(L1Message, Address)> = queue
        .messages
        .iter()
        .map(|m| (m.message.clone(), m.sender))
        .collect();
    assert_eq!(
        messages,
        [
            (
                L1Message::Deposit {
                    account: alice,
                    amount: 250_500_000
                },
                alice
            ),
            (
                L1Message::Deposit {
                    account: bob,
                    amount: 250_000
                },
                alice
            ),
        ]
    );
    let status = run(h, &l1.url, &["--json", "l1", "status"]).await.json();
    assert_eq!(status["supply"]["escrow"], 250_750_000);
    assert_eq!(status["supply"]["conserved"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_failures_exit_1_with_the_reason() {
    let l1 = start_l1(|_| {}).await;
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();
    run(h, &l1.url, &["keys", "new"]).await.ok();
    run(h, &l1.url, &["l1", "faucet", "--amount", "10"])
        .await
        .ok();

    let check = |run: Run, part: &str| {
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains(part), "want {part:?} in {}", run.stderr);
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    };
    check(
        run(h, &l1.url, &["l1", "deposit", "--amount", "10.000001"]).await,
        "insufficient_balance",
    );
    check(
        run(
            h,
            &l1.url,
            &[
                "l1",
                "claim",
                "--batch",
                "0",
                "--withdrawal-id",
                "0",
                "--amount",
                "1",
                "--proof",
                "0x00",
            ],
        )
        .await,
        "no_such_batch",
    );
    // With --json the error is one JSON line carrying the server's code.
    let refused = run(h, &l1.url, &["--json", "l1", "deposit", "--amount", "11"]).await;
    assert_eq!(refused.code, 1, "{refused:?}");
    let error: serde_json::Value =
        serde_json::from_str(refused.stderr.trim()).expect("a JSON error line");
    assert_eq!(error["code"], "insufficient_balance");
    assert_eq!(error["exit_code"], 1);
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|m| m.contains("POST /v1/deposit")),
        "{error}"
    );
    // Nothing was consumed by the refused calls.
    let balance = run(h, &l1.url, &["--json", "l1", "balance"]).await.json();
    assert_eq!(u64_of(&balance, "balance"), 10_000_000);
    assert_eq!(u64_of(&balance, "nonce"), 0);

    // A closed port: bind one, note it, drop it.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    check(
        run(h, &closed, &["l1", "balance"]).await,
        "cannot reach the settlement layer",
    );

    // Bad amounts and a missing key are usage errors (2), before anything is sent.
    let bad = run(h, &l1.url, &["l1", "deposit", "--amount", "1.2345678"]).await;
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("at most 6"), "{}", bad.stderr);
    let missing = run(
        h,
        &l1.url,
        &["l1", "deposit", "--name", "nobody", "--amount", "1"],
    )
    .await;
    assert_eq!(missing.code, 2, "{missing:?}");
}
