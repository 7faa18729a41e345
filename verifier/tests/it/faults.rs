//! End to end over HTTP: the real settlement layer, a test poster standing in for the
//! sequencer, and two verifiers in challenge mode. For each fault kind the bad batch is
//! proven within its window, the poster is slashed, one verifier is paid and the other is
//! told calmly that the batch was already reverted, the bad batch and its descendants are
//! reverted, and after the poster re-sequences honestly both verifiers end on its root.

use crate::support::node::{MIN_CHALLENGER_BOND, WINDOW};
use crate::support::poster::Poster;
use crate::support::service::{Verifier, address, verifier_key};
use protocol::api::settlement::EventKind;
use protocol::api::verifier::ChallengeOutcome;
use protocol::fault::Fault;
use protocol::signing::address_of;
use std::time::Duration;

const FUNDS: u64 = 1_000;

async fn fraud_is_proven_reverted_and_resequenced(fault: Fault, seed: u64) {
    let (mut node, mut poster) = Poster::chain(seed, 8, 4).await;
    let keys = [verifier_key(1), verifier_key(2)];
    let (mut verifiers, _dirs) = Verifier::start_challengers(&node, &keys, FUNDS).await;

    for _ in 0..3 {
        poster.post_next(&node, 24, None).await;
        node.mine(1).await;
    }
    // The verifiers follow the honest prefix live, then stop for a moment (gracefully):
    // they react within milliseconds, and the bad batch's descendants are only accepted
    // while the poster still has a bond.
    let mut configs = Vec::new();
    for v in verifiers.drain(..) {
        let s = v.client.wait_caught_up(&node).await;
        assert_eq!(
            s.verified_root,
            poster.seq.root(),
            "{fault}: the prefix is verified"
        );
        configs.push((v.config.clone(), s.cursor));
        v.shutdown().await;
    }
    let mut bad = None;
    for _ in 0..6 {
        let sealed = poster.post_next(&node, 24, Some(fault)).await;
        node.mine(1).await;
        if let Some(chunk) = sealed.fault_chunk {
            bad = Some((sealed.batch.header.index, sealed.batch.header.hash(), chunk));
            break;
        }
    }
    let (bad_index, bad_hash, bad_chunk) =
        bad.unwrap_or_else(|| panic!("{fault}: the workload never offered anything to corrupt"));
    for _ in 0..2 {
        poster.post_next(&node, 8, None).await;
    }
    for (config, cursor) in configs {
        let v = Verifier::start(config).await;
        assert_eq!(
            v.client.status().await.resumed_from_cursor,
            cursor,
            "{fault}: resumed"
        );
        verifiers.push(v);
    }

    let wait = Duration::from_secs(60);
    let (upheld, deadline_block) = node.wait_for_upheld(bad_hash, wait).await;
    assert!(
        upheld.block <= deadline_block,
        "{fault}: proven within the window"
    );
    let EventKind::ChallengeUpheld {
        batch_index,
        chunk,
        challenger,
        ..
    } = upheld.event
    else {
        unreachable!("matched above")
    };
    assert_eq!((batch_index, chunk), (bad_index, bad_chunk), "{fault}");
    let winner = keys
        .iter()
        .position(|k| address(k) == challenger)
        .unwrap_or_else(|| panic!("{fault}: challenger {challenger} is not one of our verifiers"));
    let after = node.events_within(upheld.seq, 0).await.events;
    let reverted: Vec<u64> = after
        .iter()
        .filter_map(|e| match e.event {
            EventKind::BatchReverted { index, .. } => Some(index),
            _ => None,
        })
        .collect();
    assert_eq!(
        reverted,
        vec![bad_index, bad_index + 1, bad_index + 2],
        "{fault}"
    );
    let slash = after
        .iter()
        .find_map(|e| match &e.event {
            EventKind::Slashed {
                sequencer,
                amount,
                challenger_reward,
                ..
            } => Some((*sequencer, *amount, *challenger_reward)),
            _ => None,
        })
        .expect("a slash");
    assert_eq!(slash, (address_of(&poster.key), 1_000, 500), "{fault}");
    for (i, key) in keys.iter().enumerate() {
        let paid = if i == winner { 500 } else { 0 };
        assert_eq!(
            node.account(&address(key)).await.balance,
            FUNDS - MIN_CHALLENGER_BOND + paid,
            "{fault}: verifier {i} bonded first, and only the winner is paid"
        );
    }

    // The poster re-sequences honestly from the last valid root, and goes on.
    poster.repost_after_revert(&node, bad_index, 40).await;
    poster.post_next(&node, 10, None).await;
    node.mine(1).await;
    let tip = node.status().await.tip;
    assert_eq!(
        tip.state_root,
        poster.seq.root(),
        "{fault}: the chain is the honest one"
    );
    for (i, v) in verifiers.iter().enumerate() {
        let s = v.client.wait_caught_up(&node).await;
        assert_eq!(
            (s.synced_batch, s.verified_batch, s.verified_root),
            (tip.index, tip.index, tip.state_root),
            "{fault}: verifier {i} ends on the honest root"
        );
        assert_eq!(s.halted, None);
        assert_eq!(s.totals.bad_batches, 1, "{fault}: verifier {i}");
        let [record] = &s.challenges[..] else {
            panic!(
                "{fault}: verifier {i} challenged exactly once: {:?}",
                s.challenges
            )
        };
        assert_eq!((record.batch_index, record.chunk), (bad_index, bad_chunk));
        let expect = if i == winner {
            ChallengeOutcome::Upheld { reward: Some(500) }
        } else {
            ChallengeOutcome::AlreadyReverted {
                by: Some(challenger),
            }
        };
        assert_eq!(record.outcome, expect, "{fault}: verifier {i}");
    }
    let metrics = verifiers[winner].client.metrics().await;
    assert!(
        metrics.contains("vigil_verifier_detection_latency_blocks_count 1\n"),
        "{metrics}"
    );

    // Everything finalizes; both replicas move their anchor to the tip.
    node.mine(WINDOW + 1).await;
    for v in &verifiers {
        let s = v.client.wait_caught_up(&node).await;
        assert_eq!((s.finalized_batch, s.pending_batches), (tip.index, 0));
    }
    for v in verifiers {
        v.shutdown().await;
    }
    node.shutdown().await;
}

#[tokio::test]
async fn wrong_root_is_proven_and_reverted() {
    fraud_is_proven_reverted_and_resequenced(Fault::WrongRoot, 1).await;
}

#[tokio::test]
async fn mint_is_proven_and_reverted() {
    fraud_is_proven_reverted_and_resequenced(Fault::Mint, 2).await;
}

#[tokio::test]
async fn bad_fill_is_proven_and_reverted() {
    fraud_is_proven_reverted_and_resequenced(Fault::BadFill, 3).await;
}

#[tokio::test]
async fn skip_liquidation_check_is_proven_and_reverted() {
    fraud_is_proven_reverted_and_resequenced(Fault::SkipLiquidationCheck, 4).await;
}

/// A verifier that submits after another one already won gets the settlement layer's real
/// 409 `batch_reverted`, records it calmly and then learns the winner from the log.
#[tokio::test]
async fn the_loser_of_a_race_is_answered_already_reverted_and_records_it_calmly() {
    let (mut node, mut poster) = Poster::chain(5, 6, 4).await;
    let (late_key, winner_key) = (verifier_key(7), verifier_key(8));
    for key in [&late_key, &winner_key] {
        node.faucet(&address(key), FUNDS).await;
    }
    let late_dir = tempfile::tempdir().expect("dir");
    let winner_dir = tempfile::tempdir().expect("dir");

    // The late verifier watches the fraud go by, then stops.
    let watching = Verifier::start(Verifier::config(&node, late_dir.path(), None)).await;
    poster.post_next(&node, 12, None).await;
    node.mine(1).await;
    let sealed = poster.post_next(&node, 12, Some(Fault::WrongRoot)).await;
    assert_eq!(sealed.fault_chunk, Some(0));
    let seen = watching.client.wait_caught_up(&node).await;
    assert_eq!(seen.challenges.len(), 1);
    let mut config = watching.config.clone();
    watching.shutdown().await;

    // Another verifier proves it meanwhile.
    let winner = Verifier::start(Verifier::config(
        &node,
        winner_dir.path(),
        Some(winner_key.clone()),
    ))
    .await;
    node.wait_for_event(0, Duration::from_secs(60), |e| {
        matches!(e, EventKind::ChallengeUpheld { .. })
    })
    .await;

    // The late one comes back as a challenger: its restored replica still holds the batch,
    // so it submits first thing, and is told the batch is already reverted.
    config = config.challenging(late_key.clone());
    let late = Verifier::start(config).await;
    let s = late.client.wait_caught_up(&node).await;
    assert_eq!(s.halted, None);
    assert_eq!(
        s.challenges[0].outcome,
        ChallengeOutcome::AlreadyReverted {
            by: Some(address(&winner_key))
        }
    );
    assert_eq!(s.challenges[0].attempts, 1, "it did submit");
    let metrics = late.client.metrics().await;
    assert!(
        metrics
            .contains("vigil_verifier_challenge_submissions_total{answer=\"already_reverted\"} 1"),
        "{metrics}"
    );
    assert_eq!(
        node.account(&address(&late_key)).await.balance,
        FUNDS - MIN_CHALLENGER_BOND,
        "the loser is not paid"
    );
    late.shutdown().await;
    winner.shutdown().await;
    node.shutdown().await;
}
