//! Timestamps: never before the parent's, and within the drift bound of L1 time.

use super::{Setup, accepted, deposits, filler, refused, setup, setup_past_batch_0};

#[tokio::test]
async fn a_timestamp_going_backwards_is_refused() {
    let Setup { node, rollup, t } = setup_past_batch_0().await;
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
    accepted(&node, &same).await;
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
    accepted(&node, &at_bound).await;
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
