//! Batch submission: the accepted path, and one test per rule a batch can break, each
//! asserting the status, the code, the message, and that nothing changed.

use crate::support::{
    Node, Rollup, addr, alice, bob, carol, deposit_tx, expect_error, expect_ok, sequencer,
    withdraw_tx,
};
use protocol::action::Tx;
use protocol::api::settlement::{
    BatchStatus, BatchView, EventKind, L1CallData, PostBatchCall, PostBatchResponse,
};
use protocol::batch::Batch;
use protocol::codec::Encode;
use protocol::primitives::keccak256;

struct Setup {
    node: Node,
    rollup: Rollup,
    /// The head's timestamp (L1 time) after setup.
    t: u64,
}

/// A bonded sequencer, two queued deposits (alice 700 at 0, bob 300 at 1), one block mined.
async fn setup() -> Setup {
    let node = Node::start().await;
    node.fund_and_bond(&sequencer(), 1_000).await;
    node.deposit(&alice(), 700).await;
    node.deposit(&bob(), 300).await;
    node.mine(1).await;
    let t = node.status().await.block.timestamp_ms;
    Setup {
        rollup: Rollup::new(node.genesis()),
        node,
        t,
    }
}

fn deposits() -> Vec<Tx> {
    vec![
        deposit_tx(0, addr(&alice()), 700),
        deposit_tx(1, addr(&bob()), 300),
    ]
}

/// A transaction that touches no queue message (carol has no collateral: a rejected no-op).
fn filler(node: &Node) -> Tx {
    withdraw_tx(node.genesis(), &carol(), 1, 1)
}

async fn refused(node: &Node, batch: &Batch, status: u16, code: &str, says: &str) {
    let before = node.snapshot().await;
    expect_error(&node.post(&sequencer(), batch).await, status, code, says);
    assert_eq!(
        node.snapshot().await,
        before,
        "a refused batch must change nothing"
    );
}

#[tokio::test]
async fn an_honest_batch_is_accepted_and_served_back_byte_for_byte() {
    let Setup {
        node,
        mut rollup,
        t,
    } = setup().await;
    let batch = rollup.next(t, deposits());
    let posted: PostBatchResponse = expect_ok(node.post(&sequencer(), &batch).await);
    let head = node.status().await;
    assert_eq!(
        (posted.index, posted.header_hash, posted.posted_block),
        (0, batch.header.hash(), head.block.number)
    );
    assert_eq!(
        posted.deadline_block,
        head.block.number + 5,
        "W = 5 in the test config"
    );
    assert_eq!(head.tip.index, Some(0));
    assert_eq!(
        (
            head.tip.header_hash,
            head.tip.state_root,
            head.tip.queue_end
        ),
        (batch.header.hash(), rollup.tree.root(), 2)
    );
    assert_eq!(
        (
            head.next_batch_index,
            head.pending_batches,
            head.finalized_index
        ),
        (1, 1, None)
    );

    let view: BatchView = node.get("/v1/batches/0").await;
    assert_eq!(view.data, Some(batch.encode()));
    assert_eq!(
        view.status,
        BatchStatus::Pending {
            deadline_block: posted.deadline_block
        }
    );
    assert_eq!(
        (view.poster, view.tx_count, view.queue_start, view.queue_end),
        (addr(&sequencer()), 2, 0, 2)
    );
    let queue: protocol::api::settlement::QueueResponse = node.get("/v1/queue").await;
    assert_eq!(
        (
            queue.messages[0].consumed_by,
            queue.messages[1].consumed_by,
            queue.next_unconsumed
        ),
        (Some(0), Some(0), 2)
    );

    let last = node.events(0).await.events.pop().expect("an event");
    match last.event {
        EventKind::BatchPosted {
            index,
            header_hash,
            data,
            ..
        } => {
            assert_eq!(
                (index, header_hash, data),
                (0, batch.header.hash(), batch.encode())
            );
        }
        other => panic!("expected batch_posted, got {other:?}"),
    }
    Node::assert_conserved(&node.status().await);
}

#[tokio::test]
async fn a_wrong_parent_is_refused() {
    let Setup {
        node,
        mut rollup,
        t,
    } = setup().await;
    let first = rollup.next(t, deposits());
    let _: PostBatchResponse = expect_ok(node.post(&sequencer(), &first).await);
    rollup.prev_hash = keccak256(b"some other parent");
    let (orphan, _) = rollup.build(t, vec![filler(&node)]);
    refused(
        &node,
        &orphan,
        422,
        "wrong_parent",
        "is not the header hash",
    )
    .await;
}

#[tokio::test]
async fn a_skipped_index_is_refused() {
    let Setup {
        node,
        mut rollup,
        t,
    } = setup().await;
    rollup.next_index = 1;
    let (skipping, _) = rollup.build(t, deposits());
    refused(
        &node,
        &skipping,
        422,
        "wrong_index",
        "batch index 1 is not the next index 0 (the tip is genesis)",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_previous_root_is_refused() {
    let Setup {
        node,
        mut rollup,
        t,
    } = setup().await;
    let (batch, _) = rollup.build(t, deposits());
    let h = &batch.header;
    rollup.tree = protocol::tree::Tree::new(); // an empty state instead of genesis
    let lying = Batch::seal(
        h.index,
        h.prev_header_hash,
        rollup.tree.root(),
        h.timestamp_ms,
        0,
        batch.txs.clone(),
        batch.checkpoints.clone(),
    );
    refused(
        &node,
        &lying,
        422,
        "wrong_prev_root",
        "is not the state root",
    )
    .await;
}

#[tokio::test]
async fn a_reordered_queue_range_is_refused() {
    let Setup { node, rollup, t } = setup().await;
    let mut txs = deposits();
    txs.swap(0, 1);
    let (batch, _) = rollup.build(t, txs);
    refused(
        &node,
        &batch,
        422,
        "queue_order",
        "L1 transaction 0 has queue index 1, expected 0",
    )
    .await;
}

#[tokio::test]
async fn an_altered_queue_message_is_refused() {
    let Setup { node, rollup, t } = setup().await;
    let txs = vec![
        deposit_tx(0, addr(&alice()), 7_000),
        deposit_tx(1, addr(&bob()), 300),
    ];
    let (batch, _) = rollup.build(t, txs);
    refused(
        &node,
        &batch,
        422,
        "queue_mismatch",
        "transaction 0 does not carry L1 queue message 0 as queued",
    )
    .await;
}

#[tokio::test]
async fn a_queue_range_that_does_not_start_at_the_next_message_is_refused() {
    let Setup {
        node,
        mut rollup,
        t,
    } = setup().await;
    rollup.queue_next = 1;
    let (batch, _) = rollup.build(t, vec![deposit_tx(1, addr(&bob()), 300)]);
    refused(
        &node,
        &batch,
        422,
        "queue_gap",
        "from message 1, but the next unconsumed message is 0",
    )
    .await;
}

#[tokio::test]
async fn a_queue_range_past_the_end_of_the_queue_is_refused() {
    let Setup { node, rollup, t } = setup().await;
    let mut txs = deposits();
    txs.push(deposit_tx(2, addr(&carol()), 5));
    let (batch, _) = rollup.build(t, txs);
    refused(
        &node,
        &batch,
        422,
        "queue_beyond_end",
        "messages 0..3, but the queue holds only 2",
    )
    .await;
}

#[tokio::test]
async fn a_batch_skipping_an_overdue_message_is_refused_until_it_includes_it() {
    let Setup {
        node,
        mut rollup,
        t: _,
    } = setup().await;
    // Both deposits were queued at block 0 with D = 4: due by block 4.
    node.mine_to(5).await;
    let t = node.status().await.block.timestamp_ms;
    let (skipping, _) = rollup.build(t, vec![filler(&node)]);
    refused(
        &node,
        &skipping,
        422,
        "overdue_message_skipped",
        "L1 queue message 0 (enqueued at block 0) had to be consumed by block 4; at block 5",
    )
    .await;
    // Consuming only the first still leaves the second overdue.
    let (half, _) = rollup.build(t, vec![deposit_tx(0, addr(&alice()), 700)]);
    refused(
        &node,
        &half,
        422,
        "overdue_message_skipped",
        "L1 queue message 1",
    )
    .await;
    let whole = rollup.next(t, deposits());
    let _: PostBatchResponse = expect_ok(node.post(&sequencer(), &whole).await);
}

#[tokio::test]
async fn a_batch_may_leave_a_message_unconsumed_up_to_its_deadline_block() {
    let Setup { node, rollup, t: _ } = setup().await;
    node.mine_to(4).await; // the deadline block of both deposits
    let t = node.status().await.block.timestamp_ms;
    let (batch, _) = rollup.build(t, vec![filler(&node)]);
    let _: PostBatchResponse = expect_ok(node.post(&sequencer(), &batch).await);
}

#[tokio::test]
async fn a_timestamp_going_backwards_is_refused() {
    let Setup {
        node,
        mut rollup,
        t,
    } = setup().await;
    let first = rollup.next(t, deposits());
    let _: PostBatchResponse = expect_ok(node.post(&sequencer(), &first).await);
    let (earlier, _) = rollup.build(t - 1, vec![filler(&node)]);
    refused(
        &node,
        &earlier,
        422,
        "timestamp_regressed",
        &format!(
            "batch timestamp {} is before its parent's timestamp {t}",
            t - 1
        ),
    )
    .await;
    let (same, _) = rollup.build(t, vec![filler(&node)]);
    let _: PostBatchResponse = expect_ok(node.post(&sequencer(), &same).await);
}

#[tokio::test]
async fn a_timestamp_too_far_ahead_of_l1_time_is_refused() {
    let Setup { node, rollup, t } = setup().await;
    let (ahead, _) = rollup.build(t + 10_001, deposits());
    refused(
        &node,
        &ahead,
        422,
        "timestamp_too_far_ahead",
        &format!("more than 10000 ms ahead of the L1 time {t}"),
    )
    .await;
    let (at_bound, _) = rollup.build(t + 10_000, deposits());
    let _: PostBatchResponse = expect_ok(node.post(&sequencer(), &at_bound).await);
}

#[tokio::test]
async fn a_timestamp_too_far_behind_l1_time_is_refused() {
    let Setup { node, rollup, t } = setup().await;
    let (behind, _) = rollup.build(t - 10_001, deposits());
    refused(
        &node,
        &behind,
        422,
        "timestamp_too_far_behind",
        "more than 10000 ms behind the L1 time",
    )
    .await;
}

#[tokio::test]
async fn a_last_checkpoint_other_than_the_post_root_is_refused() {
    let Setup { node, rollup, t } = setup().await;
    let (mut batch, _) = rollup.build(t, deposits());
    batch.header.post_state_root = keccak256(b"not the last checkpoint");
    refused(
        &node,
        &batch,
        422,
        "bad_checkpoint",
        "is not post_state_root",
    )
    .await;
}

#[tokio::test]
async fn checkpoints_that_do_not_match_their_commitment_are_refused() {
    let Setup { node, rollup, t } = setup().await;
    let (mut batch, _) = rollup.build(t, deposits());
    batch.checkpoints[0] = keccak256(b"swapped after sealing");
    refused(
        &node,
        &batch,
        422,
        "bad_checkpoints",
        "checkpoint_root does not match the checkpoints",
    )
    .await;
    batch.checkpoints.push(keccak256(b"one too many"));
    refused(
        &node,
        &batch,
        422,
        "bad_checkpoints",
        "expected 1 checkpoints for 2 transactions at K = 2, got 2",
    )
    .await;
}

#[tokio::test]
async fn a_poster_without_enough_bond_is_refused() {
    let Setup { node, rollup, t } = setup().await;
    node.fund_and_bond(&carol(), 999).await;
    let (batch, _) = rollup.build(t, deposits());
    let before = node.snapshot().await;
    let answer = node.post(&carol(), &batch).await;
    expect_error(
        &answer,
        403,
        "insufficient_bond",
        &format!(
            "{} has a bond of 999; posting a batch needs a bond of at least 1000",
            addr(&carol())
        ),
    );
    assert_eq!(node.snapshot().await, before);
}

#[tokio::test]
async fn data_that_does_not_decode_is_refused() {
    let Setup { node, rollup, t } = setup().await;
    let (batch, _) = rollup.build(t, deposits());
    let mut data = batch.encode();
    data.push(0);
    let before = node.snapshot().await;
    let answer = node
        .call("/v1/batches", &sequencer(), PostBatchCall::Data(data))
        .await;
    expect_error(
        &answer,
        400,
        "malformed_batch",
        "batch data does not decode: 1 trailing bytes",
    );
    let answer = node
        .call(
            "/v1/batches",
            &sequencer(),
            PostBatchCall::Data(vec![1, 2, 3]),
        )
        .await;
    expect_error(&answer, 400, "malformed_batch", "unexpected end of data");
    assert_eq!(node.snapshot().await, before);
}

#[tokio::test]
async fn a_batch_posted_as_json_is_stored_as_its_canonical_encoding() {
    let Setup {
        node,
        mut rollup,
        t,
    } = setup().await;
    let batch = rollup.next(t, deposits());
    let as_json = PostBatchCall::Batch(Box::new(batch.clone()));
    assert_eq!(
        as_json.call_hash(),
        PostBatchCall::Data(batch.encode()).call_hash(),
        "both forms sign the same bytes"
    );
    let posted: PostBatchResponse =
        expect_ok(node.call("/v1/batches", &sequencer(), as_json).await);
    assert_eq!(posted.header_hash, batch.header.hash());
    let view: BatchView = node.get("/v1/batches/0").await;
    assert_eq!(view.data, Some(batch.encode()));
}
