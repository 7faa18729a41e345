//! Fraud proofs over HTTP: an upheld proof reverts the batch and every later one, slashes
//! the sequencer and pays the challenger; a rejected proof changes nothing and says why;
//! late or repeated proofs are told calmly that the batch is already reverted or final.

use crate::support::{Fraud, challenge, fraud_with_two_descendants, repost_honest_batch_1};
use crate::support::{
    Node, addr, assert_conserved, bob, carol, expect_error, expect_ok, sequencer,
};
use protocol::api::settlement::{
    BatchStatus, BatchView, ChallengeResponse, EventKind, QueueResponse,
};
use protocol::fraud::FraudProof;
use protocol::primitives::H256;

#[tokio::test]
async fn an_upheld_proof_reverts_the_batch_and_all_later_ones_and_slashes_the_sequencer() {
    let Fraud {
        node,
        mut honest_after_0,
        bad,
        proof,
        ..
    } = fraud_with_two_descendants().await;
    assert_eq!(node.status().await.tip.index, Some(3));
    let challenger_before = node.account(&addr(&carol())).await.balance;

    let upheld: ChallengeResponse =
        expect_ok(challenge(&node, &carol(), &proof, Some(bad.header.hash())).await);
    assert_eq!(
        (upheld.batch_index, upheld.chunk, upheld.reverted.clone()),
        (1, 1, vec![1, 2, 3])
    );
    assert_eq!(upheld.claimed_root, bad.checkpoints[1]);
    assert_ne!(upheld.computed_root, upheld.claimed_root);
    assert_eq!(
        (
            upheld.slash.sequencer,
            upheld.slash.amount,
            upheld.slash.challenger_reward,
            upheld.slash.burned
        ),
        (addr(&sequencer()), 1_000, 500, 500)
    );
    assert_eq!(
        (upheld.tip.index, upheld.tip.state_root),
        (Some(0), honest_after_0.tree.root())
    );

    let status = node.status().await;
    assert_eq!(
        (
            status.tip.index,
            status.next_batch_index,
            status.tip.queue_end,
            status.pending_batches
        ),
        (Some(0), 1, 2, 1)
    );
    assert_eq!((status.supply.burned, status.supply.bonds), (500, 0));
    assert_conserved(&status);
    assert_eq!(
        node.account(&addr(&carol())).await.balance,
        challenger_before + 500
    );
    for index in 1..=3 {
        let view: BatchView = node.get(&format!("/v1/batches/{index}?data=false")).await;
        assert!(
            matches!(view.status, BatchStatus::Reverted { .. }),
            "batch {index}: {:?}",
            view.status
        );
    }
    let queue: QueueResponse = node.get("/v1/queue").await;
    assert_eq!(
        (queue.next_unconsumed, queue.messages[2].consumed_by),
        (2, None),
        "reverted batches give their messages back"
    );

    let kinds: Vec<EventKind> = node.event_kinds().await.into_iter().rev().take(5).collect();
    assert!(
        matches!(
            kinds[0],
            EventKind::Slashed {
                amount: 1_000,
                challenger_reward: 500,
                burned: 500,
                ..
            }
        ),
        "{kinds:?}"
    );
    assert!(matches!(
        kinds[1],
        EventKind::BatchReverted { index: 3, .. }
    ));
    assert!(matches!(
        kinds[2],
        EventKind::BatchReverted { index: 2, .. }
    ));
    assert!(matches!(
        kinds[3],
        EventKind::BatchReverted { index: 1, .. }
    ));
    assert!(matches!(
        kinds[4],
        EventKind::ChallengeUpheld {
            batch_index: 1,
            chunk: 1,
            ..
        }
    ));

    // The slashed sequencer bonds again and posts an honest batch 1 over the last valid root.
    let (honest, reposted) = repost_honest_batch_1(&node, &mut honest_after_0).await;
    assert_eq!(reposted.index, 1);
    let view: BatchView = node.get("/v1/batches/1?data=false").await;
    assert_eq!(
        (view.submission_id, view.header_hash),
        (reposted.submission_id, honest.header.hash())
    );
    assert_conserved(&node.status().await);
}

#[tokio::test]
async fn a_proof_against_an_honest_chunk_is_rejected_and_changes_nothing() {
    let Fraud {
        node,
        bad,
        pre_state,
        ..
    } = fraud_with_two_descendants().await;
    // A witness for chunk 0 (which is honest), made the way `fraud::build` makes one.
    let mut exec = pre_state.clone();
    exec.start_recording();
    let domain = protocol::batch::domain_separator(node.genesis());
    let ctx = bad.header.block_context();
    for tx in &bad.txs[0..2] {
        protocol::batch::execute_tx(&mut exec, node.genesis(), &domain, &ctx, tx)
            .expect("full tree");
    }
    let witness = pre_state
        .pruned_to(&exec.take_recording())
        .to_witness_bytes();
    let proof = FraudProof {
        batch_index: 1,
        chunk: 0,
        witness,
    };

    let before = node.snapshot().await;
    let answer = challenge(&node, &carol(), &proof, None).await;
    assert_eq!(answer.1["details"]["rejection"]["code"], "honest_chunk");
    node.expect_refused(
        &before,
        &answer,
        422,
        "proof_rejected",
        "fraud proof rejected: chunk 0 is honest: re-execution gives the committed root",
    )
    .await;
}

#[tokio::test]
async fn a_proof_whose_witness_is_not_the_chunk_pre_state_is_rejected() {
    let Fraud { node, proof, .. } = fraud_with_two_descendants().await;
    let before = node.snapshot().await;
    let against_chunk_0 = FraudProof {
        chunk: 0,
        ..proof.clone()
    };
    let answer = challenge(&node, &carol(), &against_chunk_0, None).await;
    expect_error(
        &answer,
        422,
        "proof_rejected",
        "is not the chunk's pre-state root",
    );
    let garbage = FraudProof {
        witness: vec![0xff; 7],
        ..proof
    };
    let answer = challenge(&node, &carol(), &garbage, None).await;
    assert_eq!(
        answer.1["details"]["rejection"]["code"],
        "malformed_witness"
    );
    node.expect_refused(&before, &answer, 422, "proof_rejected", "malformed witness")
        .await;
}

#[tokio::test]
async fn the_second_verifier_is_told_the_batch_was_already_reverted() {
    let mut fraud = fraud_with_two_descendants().await;
    let (node, bad, proof) = (&fraud.node, &fraud.bad, &fraud.proof);
    let _: ChallengeResponse = expect_ok(challenge(node, &carol(), proof, None).await);
    let before = node.snapshot().await;
    let loser = challenge(node, &bob(), proof, Some(bad.header.hash())).await;
    expect_error(&loser, 409, "batch_reverted", "batch 1 (header");
    expect_error(
        &loser,
        409,
        "batch_reverted",
        "was already reverted at block",
    );
    let loser = challenge(node, &bob(), proof, None).await;
    node.expect_refused(&before, &loser, 409, "batch_reverted", "already reverted")
        .await;

    // Even after an honest batch 1 replaced it, a proof naming the old header is answered calmly.
    repost_honest_batch_1(node, &mut fraud.honest_after_0).await;
    let late = challenge(node, &bob(), proof, Some(bad.header.hash())).await;
    expect_error(&late, 409, "batch_reverted", "already reverted");
}

#[tokio::test]
async fn proofs_against_missing_or_mismatched_batches_are_refused() {
    let Fraud {
        node, bad, proof, ..
    } = fraud_with_two_descendants().await;
    let before = node.snapshot().await;
    let missing = FraudProof {
        batch_index: 9,
        ..proof.clone()
    };
    expect_error(
        &challenge(&node, &carol(), &missing, None).await,
        404,
        "no_such_batch",
        "no batch 9 has been posted",
    );
    let unknown = challenge(&node, &carol(), &proof, Some(H256([7; 32]))).await;
    expect_error(&unknown, 404, "no_such_batch", "no batch with header hash");
    let other = FraudProof {
        batch_index: 0,
        ..proof.clone()
    };
    let mismatch = challenge(&node, &carol(), &other, Some(bad.header.hash())).await;
    node.expect_refused(
        &before,
        &mismatch,
        422,
        "header_hash_mismatch",
        "is batch 1's, not batch 0's",
    )
    .await;
}

#[tokio::test]
async fn a_challenger_without_the_minimum_bond_is_refused() {
    let node = Node::start_with(|c| c.min_challenger_bond = 100).await;
    node.fund_and_bond(&carol(), 99).await;
    let proof = FraudProof {
        batch_index: 0,
        chunk: 0,
        witness: vec![],
    };
    let before = node.snapshot().await;
    let answer = challenge(&node, &carol(), &proof, None).await;
    node.expect_refused(&before, &answer, 403, "insufficient_bond", "submitting a fraud proof needs a bond of at least 0.000100 USDC (100 base units): bond 0.000001 USDC (1 base units) more first").await;
}

/// `GET /metrics` counts the ruling: three reverted submissions, one upheld proof, the
/// supply still conserved, in the Prometheus text format.
#[tokio::test]
async fn metrics_show_the_ruling_and_the_supply() {
    let Fraud {
        node, bad, proof, ..
    } = fraud_with_two_descendants().await;
    let _: ChallengeResponse =
        expect_ok(challenge(&node, &carol(), &proof, Some(bad.header.hash())).await);
    let answer = node
        .http
        .get(format!("{}/metrics", node.url))
        .send()
        .await
        .expect("GET /metrics");
    let content_type = answer.headers()["content-type"]
        .to_str()
        .unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = answer.text().await.expect("a body");
    for line in [
        "# TYPE vigil_l1_submissions_total counter",
        "vigil_l1_submissions_total{status=\"pending\"} 1",
        "vigil_l1_submissions_total{status=\"reverted\"} 3",
        "vigil_l1_upheld_proofs_total 1",
        "vigil_l1_tip_batch 0",
        "vigil_l1_supply_conserved 1",
        "vigil_l1_frozen 0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line:?} missing from:\n{text}"
        );
    }
}
