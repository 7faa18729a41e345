//! The batch itself: it decodes, its commitments hold, its poster is bonded, and the JSON
//! form stores the same bytes as the hex form.

use super::{Setup, deposits, refused, setup};
use crate::support::{addr, carol, expect_error, expect_ok, sequencer};
use protocol::api::settlement::{BatchView, L1CallData, PostBatchCall, PostBatchResponse};
use protocol::codec::Encode;
use protocol::primitives::keccak256;

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
    let answer = node.post_batch(&carol(), &batch).await;
    node.expect_refused(&before, &answer, 403, "insufficient_bond", &format!( "{} has a bond of 0.000999 USDC (999 base units); posting a batch needs a bond of at least 0.001000 USDC (1000 base units)", addr(&carol()) )).await;
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
    node.expect_refused(
        &before,
        &answer,
        400,
        "malformed_batch",
        "unexpected end of data",
    )
    .await;
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
