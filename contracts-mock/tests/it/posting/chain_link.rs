//! The link to the tip: the next index, the tip's header hash, the tip's post root.

use super::{Setup, deposits, filler, refused, setup, setup_past_batch_0};
use protocol::batch::Batch;
use protocol::primitives::keccak256;

#[tokio::test]
async fn a_wrong_parent_is_refused() {
    let Setup {
        node,
        mut rollup,
        t,
    } = setup_past_batch_0().await;
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
        h.draft(),
        rollup.tree.root(),
        batch.txs.clone(),
        batch.checkpoints.clone(),
        batch.receipt_roots.clone(),
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
