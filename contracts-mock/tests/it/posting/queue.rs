//! The L1 queue: contiguous from the next unconsumed message, byte for byte, and every
//! message consumed by its force-inclusion deadline.

use super::{Setup, accepted, deposits, filler, refused, setup};
use crate::support::{addr, alice, bob, carol, deposit_tx};

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
    accepted(&node, &whole).await;
}

#[tokio::test]
async fn a_batch_may_leave_a_message_unconsumed_up_to_its_deadline_block() {
    let Setup { node, rollup, t: _ } = setup().await;
    node.mine_to(4).await; // the deadline block of both deposits
    let t = node.status().await.block.timestamp_ms;
    let (batch, _) = rollup.build(t, vec![filler(&node)]);
    accepted(&node, &batch).await;
}
