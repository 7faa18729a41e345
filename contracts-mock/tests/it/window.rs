//! The challenge window's boundaries: a batch posted at block b with W = 5 has deadline
//! d = b + 5; it is challengeable while the head is ≤ d and final from head d + 1. Each
//! boundary (d − 1, d, d + 1) is tested for both a challenge and finalization.

use crate::support::{
    Node, Rollup, addr, alice, assert_conserved, bob, challenge, deposit_tx, expect_ok, sequencer,
    tamper,
};
use protocol::api::settlement::{
    BatchStatus, BatchView, ChallengeResponse, EventKind, PostBatchResponse, UnbondCall,
};
use protocol::batch::genesis_tree;
use protocol::fraud::{self, FraudProof};

/// A bonded sequencer posts batch 0 with a wrong checkpoint; returns the proof and the deadline.
async fn bad_batch_posted() -> (Node, FraudProof, u64) {
    let node = Node::start().await;
    node.fund_and_bond(&sequencer(), 1_000).await;
    node.deposit(&alice(), 700).await;
    node.deposit(&bob(), 300).await;
    let t = node.status().await.block.timestamp_ms;
    let rollup = Rollup::new(node.genesis());
    let (honest, _) = rollup.build(
        t,
        vec![
            deposit_tx(0, addr(&alice()), 700),
            deposit_tx(1, addr(&bob()), 300),
        ],
    );
    let bad = tamper(&honest, 0);
    let posted: PostBatchResponse = expect_ok(node.post_batch(&sequencer(), &bad).await);
    let proof = fraud::build(node.genesis(), &bad, 0, &genesis_tree(node.genesis()))
        .expect("chunk 0 is wrong");
    (node, proof, posted.deadline_block)
}

async fn batch_status(node: &Node) -> BatchStatus {
    node.get::<BatchView>("/v1/batches/0?data=false")
        .await
        .status
}

#[tokio::test]
async fn a_challenge_one_block_before_the_deadline_is_upheld() {
    let (node, proof, deadline) = bad_batch_posted().await;
    node.mine_to(deadline - 1).await;
    let upheld: ChallengeResponse = expect_ok(challenge(&node, &bob(), &proof, None).await);
    assert_eq!(upheld.reverted, vec![0]);
}

#[tokio::test]
async fn a_challenge_at_the_deadline_block_is_upheld() {
    let (node, proof, deadline) = bad_batch_posted().await;
    node.mine_to(deadline).await;
    assert_eq!(
        batch_status(&node).await,
        BatchStatus::Pending {
            deadline_block: deadline
        }
    );
    let upheld: ChallengeResponse = expect_ok(challenge(&node, &bob(), &proof, None).await);
    assert_eq!(upheld.reverted, vec![0]);
}

#[tokio::test]
async fn a_challenge_one_block_after_the_deadline_finds_the_batch_final() {
    let (node, proof, deadline) = bad_batch_posted().await;
    node.mine_to(deadline + 1).await;
    let before = node.snapshot().await;
    let late = challenge(&node, &bob(), &proof, None).await;
    node.expect_refused(&before, &late, 409, "batch_finalized", &format!( "batch 0 is already final (since block {}); its challenge window closed at block {deadline}", deadline + 1 )).await;
}

#[tokio::test]
async fn finalization_happens_exactly_one_block_after_the_deadline() {
    let (node, _, deadline) = bad_batch_posted().await;
    node.mine_to(deadline - 1).await;
    assert_eq!(
        batch_status(&node).await,
        BatchStatus::Pending {
            deadline_block: deadline
        }
    );
    let at_deadline = node.mine(1).await;
    assert_eq!(
        (at_deadline.block.number, at_deadline.finalized.len()),
        (deadline, 0)
    );
    assert_eq!(
        batch_status(&node).await,
        BatchStatus::Pending {
            deadline_block: deadline
        }
    );
    let after = node.mine(1).await;
    assert_eq!(after.finalized, vec![0]);
    assert_eq!(
        batch_status(&node).await,
        BatchStatus::Finalized {
            finalized_block: deadline + 1
        }
    );
    assert_eq!(node.status().await.finalized_index, Some(0));
}

#[tokio::test]
async fn batches_finalize_in_order_and_many_blocks_at_once_finalize_each_at_its_own_block() {
    let node = Node::start().await;
    node.fund_and_bond(&sequencer(), 1_000).await;
    node.deposit(&alice(), 700).await;
    let mut rollup = Rollup::new(node.genesis());
    let t = node.status().await.block.timestamp_ms;
    let first = rollup.next(t, vec![deposit_tx(0, addr(&alice()), 700)]);
    let p0: PostBatchResponse = expect_ok(node.post_batch(&sequencer(), &first).await);
    node.mine(2).await;
    node.deposit(&bob(), 300).await;
    let t = node.status().await.block.timestamp_ms;
    let second = rollup.next(t, vec![deposit_tx(1, addr(&bob()), 300)]);
    let p1: PostBatchResponse = expect_ok(node.post_batch(&sequencer(), &second).await);
    assert_eq!(p1.deadline_block, p0.deadline_block + 2);

    let mined = node.mine(20).await;
    assert_eq!(mined.finalized, vec![0, 1]);
    let finals: Vec<(u64, u64)> = node
        .events(0)
        .await
        .events
        .into_iter()
        .filter_map(|e| match e.event {
            EventKind::BatchFinalized { index, .. } => Some((index, e.block)),
            _ => None,
        })
        .collect();
    assert_eq!(
        finals,
        vec![(0, p0.deadline_block + 1), (1, p1.deadline_block + 1)]
    );
    assert_conserved(&node.status().await);
}

#[tokio::test]
async fn a_sequencer_cannot_unbond_while_its_batches_can_be_challenged() {
    let (node, _, deadline) = bad_batch_posted().await;
    let before = node.snapshot().await;
    let locked = node
        .call("/v1/unbond", &sequencer(), UnbondCall { amount: 1_000 })
        .await;
    node.expect_refused(
        &before,
        &locked,
        409,
        "bond_locked",
        &format!("the last until block {deadline}"),
    )
    .await;
    node.mine_to(deadline + 1).await;
    let _: serde_json::Value = expect_ok(
        node.call("/v1/unbond", &sequencer(), UnbondCall { amount: 1_000 })
            .await,
    );
    assert_eq!(node.account(&addr(&sequencer())).await.bond, 0);
}

#[tokio::test]
async fn without_manual_blocks_the_chain_mines_and_finalizes_on_its_own() {
    let mut node = Node::start_with(|c| {
        c.block_time_ms = Some(20);
        c.challenge_window_blocks = 2;
    })
    .await;
    node.fund_and_bond(&sequencer(), 1_000).await;
    let t = node.status().await.block.timestamp_ms;
    let rollup = Rollup::new(node.genesis());
    let (batch, _) = rollup.build(
        t,
        vec![crate::support::withdraw_tx(node.genesis(), &bob(), 1, 1)],
    );
    let posted: PostBatchResponse = expect_ok(node.post_batch(&sequencer(), &batch).await);
    // Follow the log as a verifier would: long-poll until the batch is final (at most 20
    // polls of up to 5 s each; at 20 ms per block it takes about 60 ms).
    let mut after = node.status().await.last_event_seq - 1;
    let mut finalized_at = None;
    for _ in 0..20 {
        let page: protocol::api::settlement::EventsResponse = node
            .get(&format!("/v1/events?after={after}&wait_ms=5000"))
            .await;
        for event in &page.events {
            after = event.seq;
            if let EventKind::BatchFinalized { index: 0, .. } = event.event {
                finalized_at = Some(event.block);
            }
        }
        if finalized_at.is_some() {
            break;
        }
    }
    assert_eq!(finalized_at, Some(posted.deadline_block + 1));
    // Shutdown joins the block producer.
    tokio::time::timeout(std::time::Duration::from_secs(10), node.shutdown())
        .await
        .expect("shutdown with a running producer");
}
