//! Batch submission: the accepted path, and one test per rule a batch can break, each
//! asserting the status, the code, the message, and that nothing changed.

mod chain_link;
mod queue;
mod shape;
mod timestamps;

use crate::support::{
    Node, Rollup, addr, alice, assert_conserved, bob, carol, deposit_tx, expect_ok, sequencer,
    withdraw_tx,
};
use protocol::action::Tx;
use protocol::api::settlement::{BatchStatus, BatchView, EventKind, PostBatchResponse};
use protocol::batch::Batch;
use protocol::codec::Encode;

pub struct Setup {
    pub node: Node,
    pub rollup: Rollup,
    /// The head's timestamp (L1 time) after setup.
    pub t: u64,
}

/// A bonded sequencer, two queued deposits (alice 700 at 0, bob 300 at 1), one block mined.
pub async fn setup() -> Setup {
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

/// `setup`, then batch 0 (the two deposits) posted.
pub async fn setup_past_batch_0() -> Setup {
    let Setup {
        node,
        mut rollup,
        t,
    } = setup().await;
    let first = rollup.next(t, deposits());
    accepted(&node, &first).await;
    Setup { node, rollup, t }
}

pub fn deposits() -> Vec<Tx> {
    vec![
        deposit_tx(0, addr(&alice()), 700),
        deposit_tx(1, addr(&bob()), 300),
    ]
}

/// A transaction that touches no queue message (carol has no collateral: a rejected no-op).
pub fn filler(node: &Node) -> Tx {
    withdraw_tx(node.genesis(), &carol(), 1, 1)
}

/// Posts `batch`, which must be accepted.
pub async fn accepted(node: &Node, batch: &Batch) -> PostBatchResponse {
    expect_ok(node.post_batch(&sequencer(), batch).await)
}

pub async fn refused(node: &Node, batch: &Batch, status: u16, code: &str, says: &str) {
    let before = node.snapshot().await;
    let answer = node.post_batch(&sequencer(), batch).await;
    node.expect_refused(&before, &answer, status, code, says)
        .await;
}

#[tokio::test]
async fn an_honest_batch_is_accepted_and_served_back_byte_for_byte() {
    let Setup {
        node,
        mut rollup,
        t,
    } = setup().await;
    let batch = rollup.next(t, deposits());
    let posted = accepted(&node, &batch).await;
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
    assert_conserved(&node.status().await);
}
