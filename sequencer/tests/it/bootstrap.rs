//! A sequencer that lost its disk: a new one on an empty data dir with
//! `bootstrap_from_l1` rebuilds the state from the settlement layer's batches alone, reaches
//! exactly the L1 tip's root before serving, and carries the chain on.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
use protocol::action::TimeInForce;
use sequencer::StatusBody;
use std::time::Duration;

/// Waits until every sealed batch is posted and nothing is open.
async fn posted(seq: &Seq) -> StatusBody {
    wait_for(
        "everything to be posted",
        Duration::from_secs(20),
        || async {
            let s: StatusBody = seq.get("/v1/status").await;
            let st = &s.status;
            (st.open_batch.is_none()
                && st.last_posted.is_some()
                && st.last_posted == st.last_sealed)
                .then_some(s)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequencer_on_an_empty_data_dir_rebuilds_from_l1_with_an_identical_root() {
    let mut l1 = L1::start().await;
    let first = Seq::start_with(&l1, |c| c.keeper_interval = None).await;
    let (alice, bob) = (alice(), bob());
    l1.deposit(&alice, DEPOSIT).await;
    l1.deposit(&bob, DEPOSIT).await;
    first.wait_collateral(&addr(&bob), DEPOSIT.into()).await;
    first.submit(&price(BTC, BTC_PRICE)).await;
    first
        .submit(&order(
            &alice,
            false,
            BTC_PRICE,
            ONE_BTC,
            TimeInForce::Gtc,
            1,
        ))
        .await;
    let fill = first
        .submit(&order(&bob, true, BTC_PRICE, ONE_BTC, TimeInForce::Ioc, 1))
        .await;
    assert_eq!(fill.receipt.fills.len(), 1);
    first.submit(&withdraw(&alice, 1_000_000, 2)).await;
    posted(&first).await;
    // Some batches final, the rest pending: the rebuild must take both.
    l1.mine(10).await;
    first.submit(&withdraw(&bob, 1_000_000, 2)).await;
    posted(&first).await;
    let tip = l1.replay_chain().await.expect("an honest chain");
    // The disk is lost: the data dir goes with the stopped sequencer.
    drop(first.stop().await);

    let second = Seq::start_with(&l1, |c| {
        c.keeper_interval = None;
        c.bootstrap_from_l1 = true;
    })
    .await;
    let status = second.status().await;
    assert_eq!(
        status.state_root,
        tip.1.root(),
        "the L1 tip's root, before serving anything"
    );
    assert_eq!(status.last_sealed, Some(tip.0.len() as u64 - 1));
    assert_eq!(
        second.account(&addr(&alice)).await.positions.len(),
        1,
        "alice's short is back"
    );
    // And it carries on: a new action is sequenced after the rebuilt batches and posted.
    let next = second.submit(&withdraw(&alice, 1_000_000, 3)).await;
    assert!(next.receipt.status.is_ok(), "{next:?}");
    assert_eq!(next.batch_index, tip.0.len() as u64);
    posted(&second).await;
    let (batches, tree) = l1.replay_chain().await.expect("an honest chain");
    assert_eq!(batches.len(), tip.0.len() + 1);
    assert_eq!(second.status().await.state_root, tree.root());
    second.stop().await;
    l1.shutdown().await;
}
