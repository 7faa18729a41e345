//! Durability with the real binary and `kill -9`: a verifier killed in the middle of a
//! challenge window resumes from its database (not from the start of the log) and still
//! proves the fraud before the deadline; a graceful SIGTERM exits 0.

use crate::support::node::Node;
use crate::support::poster::Poster;
use crate::support::service::{Process, address, verifier_key};
use protocol::api::settlement::EventKind;
use protocol::api::verifier::{ChallengeOutcome, Mode};
use protocol::fault::Fault;
use protocol::primitives::H256;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// Posts a bad batch (retrying until `fault` bites) and one descendant; returns the bad
/// batch's index and header hash.
async fn cheat(node: &Node, poster: &mut Poster, fault: Fault) -> (u64, H256) {
    for _ in 0..6 {
        let sealed = poster.post_next(node, 20, Some(fault)).await;
        node.mine(1).await;
        if sealed.fault_chunk.is_some() {
            poster.post_next(node, 5, None).await;
            return (sealed.batch.header.index, sealed.batch.header.hash());
        }
    }
    panic!("{fault} never bit");
}

/// Waits for the proof against `bad_hash` and checks it landed within the window, by `by`.
async fn proven_in_window(node: &Node, bad_hash: H256, by: protocol::primitives::Address) {
    let (upheld, deadline_block) = node.wait_for_upheld(bad_hash, WAIT).await;
    assert!(upheld.block <= deadline_block, "proven within the window");
    assert!(
        matches!(upheld.event, EventKind::ChallengeUpheld { challenger, .. } if challenger == by),
        "{upheld:?}"
    );
}

#[tokio::test]
async fn a_verifier_killed_before_the_fraud_resumes_from_disk_and_proves_it() {
    let (mut node, mut poster) = Poster::chain(21, 6, 4).await;
    let key = verifier_key(5);
    node.faucet(&address(&key), 1_000).await;
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("verifier");

    let process = Process::spawn(&node, &data, Mode::Challenge, &key).await;
    for _ in 0..3 {
        poster.post_next(&node, 20, None).await;
        node.mine(1).await;
    }
    let before = process.client.wait_caught_up(&node).await;
    assert_eq!(before.totals.batches_verified, 3);
    let honest_root = poster.seq.root();
    process.kill();

    let (bad_index, bad_hash) = cheat(&node, &mut poster, Fault::Mint).await;
    node.mine(2).await;
    let process = Process::spawn(&node, &data, Mode::Challenge, &key).await;
    let resumed = process.client.status().await;
    assert_eq!(
        resumed.resumed_from_cursor, before.cursor,
        "it resumes from disk"
    );
    assert_eq!(
        resumed.totals.batches_verified, 3,
        "totals survive the kill"
    );
    proven_in_window(&node, bad_hash, address(&key)).await;

    let after = process.client.wait_caught_up(&node).await;
    assert_eq!(after.verified_root, honest_root);
    assert_eq!(after.synced_batch, Some(bad_index - 1));
    assert!(matches!(
        after.challenges[..],
        [ref c] if c.batch_index == bad_index && matches!(c.outcome, ChallengeOutcome::Upheld { .. })
    ));
    let status = process.terminate().await;
    assert!(status.success(), "SIGTERM is a clean exit: {status:?}");
    node.shutdown().await;
}

#[tokio::test]
async fn a_watcher_killed_mid_window_restarts_as_a_challenger_and_proves_it_in_time() {
    let (mut node, mut poster) = Poster::chain(22, 6, 4).await;
    let key = verifier_key(6);
    node.faucet(&address(&key), 1_000).await;
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("verifier");

    let process = Process::spawn(&node, &data, Mode::Watch, &key).await;
    for _ in 0..2 {
        poster.post_next(&node, 20, None).await;
        node.mine(1).await;
    }
    let (bad_index, bad_hash) = cheat(&node, &mut poster, Fault::BadFill).await;
    let seen = process.client.wait_caught_up(&node).await;
    assert!(
        matches!(
            seen.challenges[..],
            [ref c] if c.batch_index == bad_index && matches!(c.outcome, ChallengeOutcome::Unsubmitted { .. })
        ),
        "the watcher saw the fraud and only reported it: {:?}",
        seen.challenges
    );
    process.kill();

    // Half the window passes while it is down.
    node.mine(crate::support::node::WINDOW / 2).await;
    let process = Process::spawn(&node, &data, Mode::Challenge, &key).await;
    proven_in_window(&node, bad_hash, address(&key)).await;
    let after = process.client.wait_caught_up(&node).await;
    assert_eq!(after.resumed_from_cursor, seen.cursor);
    assert!(matches!(
        after.challenges[0].outcome,
        ChallengeOutcome::Upheld { .. }
    ));
    process.kill();
    node.shutdown().await;
}
