//! Durability: everything acknowledged survives a graceful restart and a `kill -9` of the
//! real binary, including a withdrawal's claimed mark.

use crate::support::{Node, Snapshot, addr, alice, expect_error, expect_ok};
use crate::withdrawals::{Withdrawn, alice_withdraws};
use contracts_mock::Config;
use protocol::api::settlement::{ClaimResponse, DepositCall, EventsResponse};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Acknowledged work: a finalized withdrawal claimed, a pending deposit, more blocks.
async fn acknowledged_work(node: Node) -> Withdrawn {
    let Withdrawn {
        node,
        claim,
        deadline,
    } = alice_withdraws(node).await;
    node.mine_to(deadline + 1).await;
    let _: ClaimResponse = expect_ok(
        node.call("/v1/withdrawals/claim", &alice(), claim.clone())
            .await,
    );
    node.faucet(&addr(&alice()), 5).await;
    let _: serde_json::Value = expect_ok(
        node.call(
            "/v1/deposit",
            &alice(),
            DepositCall {
                account: addr(&alice()),
                amount: 5,
            },
        )
        .await,
    );
    Withdrawn {
        node,
        claim,
        deadline,
    }
}

async fn everything(node: &Node) -> (Snapshot, EventsResponse) {
    (node.snapshot().await, node.events(0).await)
}

async fn still_consistent(
    node: &Node,
    before: &(Snapshot, EventsResponse),
    claim: &protocol::api::settlement::ClaimWithdrawalCall,
) {
    assert_eq!(&everything(node).await, before, "state after restart");
    Node::assert_conserved(&node.status().await);
    let again = node
        .call("/v1/withdrawals/claim", &alice(), claim.clone())
        .await;
    expect_error(&again, 409, "already_claimed", "already claimed");
    // And the chain goes on: the next nonce and block follow on.
    let next = node.mine(1).await;
    assert_eq!(next.block.number, before.0.status.block.number + 1);
}

#[tokio::test]
async fn a_graceful_restart_keeps_everything() {
    let Withdrawn { node, claim, .. } = acknowledged_work(Node::start().await).await;
    let before = everything(&node).await;
    let node = node.restart().await;
    still_consistent(&node, &before, &claim).await;
}

/// The real binary as a child process on 127.0.0.1:0.
struct Process {
    /// `None` once waited for.
    child: Option<Child>,
    url: String,
}

impl Process {
    async fn spawn(config: &Config, genesis_file: &std::path::Path) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigil-contracts-mock"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--manual-blocks",
                "--log",
                "warn",
            ])
            .arg("--data-dir")
            .arg(&config.data_dir)
            .arg("--genesis")
            .arg(genesis_file)
            .args([
                "--challenge-window-blocks",
                &config.challenge_window_blocks.to_string(),
            ])
            .args([
                "--force-inclusion-deadline-blocks",
                &config.force_inclusion_deadline_blocks.to_string(),
            ])
            .args([
                "--min-sequencer-bond",
                &config.min_sequencer_bond.to_string(),
            ])
            .args(["--slash-share-bps", &config.slash_share_bps.to_string()])
            .args([
                "--max-timestamp-drift-ms",
                &config.max_timestamp_drift_ms.to_string(),
            ])
            .args(["--faucet-max-amount", &config.faucet_max_amount.to_string()])
            .env_clear() // only the flags above configure it
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn vigil-contracts-mock");
        let stdout = child.stdout.take().expect("stdout");
        // The first stdout line names the bound address; EOF (the child died) ends the read too.
        let reading = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        });
        let line = match tokio::time::timeout(Duration::from_secs(60), reading).await {
            Ok(Ok(Ok(line))) => line,
            other => {
                let _ = child.kill();
                panic!("no listen line from the binary: {other:?}");
            }
        };
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Process {
            child: Some(child),
            url: format!("http://{addr}"),
        }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    fn kill_9(mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
    }

    /// SIGTERM, then the exit status (within 30 s).
    async fn terminate(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let waiting = tokio::task::spawn_blocking(move || child.wait());
        match tokio::time::timeout(Duration::from_secs(30), waiting).await {
            Ok(Ok(Ok(status))) => status,
            other => panic!("the binary did not exit after SIGTERM: {other:?}"),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn a_kill_9_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = crate::support::test_config(&dir.path().join("l1"));
    let genesis_file = dir.path().join("genesis.json");
    std::fs::write(
        &genesis_file,
        serde_json::to_string(&config.genesis).expect("json"),
    )
    .expect("write genesis");

    let first = Process::spawn(&config, &genesis_file).await;
    let Withdrawn { node, claim, .. } =
        acknowledged_work(Node::attach(first.url.clone(), config.clone())).await;
    let before = everything(&node).await;
    first.kill_9();

    let second = Process::spawn(&config, &genesis_file).await;
    let node = Node::attach(second.url.clone(), config.clone());
    still_consistent(&node, &before, &claim).await;
    assert_eq!(
        std::fs::read_to_string(config.data_dir.join(contracts_mock::ADDR_FILE))
            .expect("addr file"),
        second.url.trim_start_matches("http://")
    );
    drop(second);
}

#[tokio::test]
async fn a_database_of_another_genesis_is_refused() {
    let mut node = Node::start().await;
    node.shutdown().await;
    let mut config = node.config.clone();
    config.genesis.chain_id += 1;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let refused = contracts_mock::run(config, listener, std::future::ready(())).await;
    match refused {
        Err(contracts_mock::RunError::Init(e)) => {
            assert!(
                e.to_string()
                    .contains("the database was created for genesis"),
                "{e}"
            );
        }
        other => panic!("expected a genesis mismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn sigterm_stops_the_binary_cleanly_and_a_bad_config_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = crate::support::test_config(&dir.path().join("l1"));
    let genesis_file = dir.path().join("genesis.json");
    std::fs::write(
        &genesis_file,
        serde_json::to_string(&config.genesis).expect("json"),
    )
    .expect("write genesis");
    let process = Process::spawn(&config, &genesis_file).await;
    let node = Node::attach(process.url.clone(), config.clone());
    node.faucet(&addr(&alice()), 1).await;
    let exit = process.terminate().await;
    assert_eq!(exit.code(), Some(0), "{exit:?}");

    let bad = Command::new(env!("CARGO_BIN_EXE_vigil-contracts-mock"))
        .env_clear()
        .args(["--listen", "127.0.0.1:0", "--challenge-window-blocks", "0"])
        .arg("--data-dir")
        .arg(dir.path().join("unused"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("challenge window must be at least 1 block")
    );
}
