//! Fraud fixtures: a chain with a lying batch and descendants on top of it, a challenge
//! over HTTP, and the honest batch 1 posted once the lie is reverted.

use super::{
    Node, Rollup, addr, alice, bob, carol, deposit_tx, expect_ok, sequencer, tamper, withdraw_tx,
};
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{ChallengeCall, PostBatchResponse};
use protocol::batch::{Batch, Draft};
use protocol::fraud::{self, FraudProof, find_first_bad_chunk};
use protocol::primitives::H256;
use serde_json::Value;

/// `key` challenges with `proof` (naming the batch's `header_hash`, if given), as answered.
pub async fn challenge(
    node: &Node,
    key: &SigningKey,
    proof: &FraudProof,
    header_hash: Option<H256>,
) -> (u16, Value) {
    let call = ChallengeCall {
        proof: proof.clone(),
        header_hash,
    };
    node.call("/v1/challenge", key, call).await
}

/// Once the bad batch is reverted: the slashed sequencer bonds again and posts an honest
/// batch 1 (the deposits to carol and alice still queued) over batch 0's root.
pub async fn repost_honest_batch_1(
    node: &Node,
    honest_after_0: &mut Rollup,
) -> (Batch, PostBatchResponse) {
    node.fund_and_bond(&sequencer(), 1_000).await;
    let t = node.status().await.block.timestamp_ms;
    let honest = honest_after_0.next(
        t,
        vec![
            deposit_tx(2, addr(&carol()), 50),
            deposit_tx(3, addr(&alice()), 25),
        ],
    );
    let reposted = expect_ok(node.post_batch(&sequencer(), &honest).await);
    (honest, reposted)
}

/// Batch 0 honest; batch 1 with a lie in chunk 1 (of 2); batches 2 and 3 built on top of
/// it. Returns the node, the rollup at batch 0's state, the bad batch and its proof.
pub struct Fraud {
    pub node: Node,
    pub honest_after_0: Rollup,
    pub bad: Batch,
    pub proof: FraudProof,
    /// The pre-state of batch 1 (for hand-made witnesses).
    pub pre_state: protocol::tree::Tree,
}

pub async fn fraud_with_two_descendants() -> Fraud {
    let node = Node::start().await;
    node.fund_and_bond(&sequencer(), 1_000).await;
    for (key, amount) in [(alice(), 700), (bob(), 300), (carol(), 50), (alice(), 25)] {
        node.deposit(&key, amount).await;
    }
    let t = node.status().await.block.timestamp_ms;
    let mut rollup = Rollup::new(node.genesis());
    let b0 = rollup.next(
        t,
        vec![
            deposit_tx(0, addr(&alice()), 700),
            deposit_tx(1, addr(&bob()), 300),
        ],
    );
    let _: PostBatchResponse = expect_ok(node.post_batch(&sequencer(), &b0).await);
    let honest_after_0 = rollup.clone();

    let txs = vec![
        deposit_tx(2, addr(&carol()), 50),
        deposit_tx(3, addr(&alice()), 25),
        withdraw_tx(node.genesis(), &alice(), 100, 1),
        withdraw_tx(node.genesis(), &bob(), 10, 1),
    ];
    let (honest_1, _) = rollup.build(t, txs);
    let bad = tamper(&honest_1, 1);
    let _: PostBatchResponse = expect_ok(node.post_batch(&sequencer(), &bad).await);
    let pre_state = rollup.tree.clone();
    rollup.advance_over(&bad);
    for _ in 0..2 {
        // Descendants extend the bad batch's (lying) post root, as a cheating sequencer would.
        let root = bad.header.post_state_root;
        let txs = vec![withdraw_tx(node.genesis(), &carol(), 1, 1)];
        let draft = Draft {
            index: rollup.next_index,
            prev_header_hash: rollup.prev_hash,
            timestamp_ms: t,
            queue_start: rollup.queue_next,
        };
        let next = Batch::seal(draft, root, txs, vec![root], vec![H256::ZERO]);
        let _: PostBatchResponse = expect_ok(node.post_batch(&sequencer(), &next).await);
        rollup.prev_hash = next.header.hash();
        rollup.next_index += 1;
    }
    let (_, bad_chunk) = find_first_bad_chunk(&pre_state, node.genesis(), &bad).expect("full tree");
    let bad_chunk = bad_chunk.expect("chunk 1 lies");
    assert_eq!(bad_chunk.chunk, 1);
    let proof = fraud::build(node.genesis(), &bad, 1, &bad_chunk.pre_state).expect("proof");
    Fraud {
        node,
        honest_after_0,
        bad,
        proof,
        pre_state,
    }
}
