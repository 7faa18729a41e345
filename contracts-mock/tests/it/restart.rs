//! Durability: everything acknowledged survives a graceful restart and a `kill -9` of the
//! real binary, including a withdrawal's claimed mark.

use crate::support::{Node, Snapshot, addr, alice, assert_conserved, expect_error, expect_ok};
use crate::withdrawals::{Withdrawn, alice_withdraws_finally};
use contracts_mock::Config;
use protocol::api::settlement::{ClaimResponse, EventsResponse};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use tempfile::TempDir;
use test_support::ChildService;

/// Acknowledged work: a finalized withdrawal claimed, a pending deposit, more blocks.
async fn acknowledged_work(node: Node) -> Withdrawn {
    let Withdrawn {
        node,
        claim,
        deadline,
    } = alice_withdraws_finally(node).await;
    let _: ClaimResponse = expect_ok(
        node.call("/v1/withdrawals/claim", &alice(), claim.clone())
            .await,
    );
    node.deposit(&alice(), 5).await;
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
    assert_conserved(&node.status().await);
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

/// A database of schema version 1 (each batch's data inside its `batches` row) is migrated
/// at startup: everything served afterwards is as before, the batches' data included.
#[tokio::test]
async fn a_version_1_database_is_migrated_at_startup() {
    let Withdrawn {
        mut node, claim, ..
    } = acknowledged_work(Node::start().await).await;
    let before = everything(&node).await;
    node.shutdown().await;
    let batches_with_data = as_version_1(&node.config.data_dir.join("settlement.db"));
    assert!(batches_with_data > 0, "the work posted batches");
    let node = node.restart().await;
    still_consistent(&node, &before, &claim).await;
}

/// Rewrites a stopped database into version 1's layout; returns the batches holding data.
fn as_version_1(db: &std::path::Path) -> u64 {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    conn.execute_batch(
        "ALTER TABLE batches ADD COLUMN data BLOB;
         UPDATE batches SET data =
             (SELECT d.data FROM batch_data d WHERE d.submission_id = batches.submission_id);
         DROP TABLE batch_data;
         DROP INDEX batches_pending;
         UPDATE meta SET value = '1' WHERE key = 'schema_version';",
    )
    .expect("downgrade");
    conn.query_row(
        "SELECT COUNT(*) FROM batches WHERE data IS NOT NULL",
        [],
        |r| r.get(0),
    )
    .expect("count")
}

/// The test chain's config and genesis file for the real binary, in a temp dir.
pub(crate) struct BinaryFiles {
    dir: TempDir,
    pub(crate) config: Config,
    genesis_file: PathBuf,
}

impl BinaryFiles {
    pub(crate) fn new() -> BinaryFiles {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = crate::support::test_config(&dir.path().join("l1"));
        let genesis_file = dir.path().join("genesis.json");
        std::fs::write(
            &genesis_file,
            serde_json::to_string(&config.genesis).expect("json"),
        )
        .expect("write genesis");
        BinaryFiles {
            dir,
            config,
            genesis_file,
        }
    }

    /// The real binary on these files, as a child process on 127.0.0.1:0.
    pub(crate) async fn spawn(&self) -> ChildService {
        ChildService::spawn(&mut self.command()).await
    }

    /// The command that runs the real binary on these files (configured by its flags only).
    pub(crate) fn command(&self) -> Command {
        let config = &self.config;
        let mut command = Command::new(env!("CARGO_BIN_EXE_vigil-contracts-mock"));
        command
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
            .arg(&self.genesis_file)
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
            .stderr(Stdio::null());
        command
    }
}

#[tokio::test]
async fn a_kill_9_loses_nothing_acknowledged() {
    let files = BinaryFiles::new();
    let config = &files.config;
    let first = files.spawn().await;
    let Withdrawn { node, claim, .. } =
        acknowledged_work(Node::attach(first.url.clone(), config.clone())).await;
    let before = everything(&node).await;
    first.kill_9();

    let second = files.spawn().await;
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
    let files = BinaryFiles::new();
    let config = &files.config;
    let process = files.spawn().await;
    let node = Node::attach(process.url.clone(), config.clone());
    node.faucet(&addr(&alice()), 1).await;
    let exit = process.terminate().await;
    assert_eq!(exit.code(), Some(0), "{exit:?}");

    let bad = Command::new(env!("CARGO_BIN_EXE_vigil-contracts-mock"))
        .env_clear()
        .args(["--listen", "127.0.0.1:0", "--challenge-window-blocks", "0"])
        .arg("--data-dir")
        .arg(files.dir.path().join("unused"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("challenge window must be at least 1 block")
    );
}
