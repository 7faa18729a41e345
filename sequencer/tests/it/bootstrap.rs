//! A sequencer that lost its disk: a new one on an empty data dir with
//! `bootstrap_from_l1` rebuilds the state from the settlement layer's batches alone, reaches
//! exactly the L1 tip's root before serving, and carries the chain on.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
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
    first.submit(&maker_ask(&alice, ONE_BTC, 1)).await;
    let fill = first.submit(&taker_bid(&bob, ONE_BTC, 1)).await;
    assert_eq!(fill.receipt.fills.len(), 1);
    first.submit(&withdraw(&alice, 1_000_000, 2)).await;
    posted(&first).await;
    // Some batches final, the rest pending: the rebuild must take both.
    l1.mine_stamped_now(10).await;
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

/// The sequencer goes silent; alice forces a withdrawal; its deadline passes. Another
/// bonded party (here with a key of its own) starts a sequencer bootstrapped from L1: it
/// includes the overdue withdrawal first, and the chain resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_proposer_bootstrapped_from_l1_includes_an_overdue_forced_withdrawal() {
    let mut l1 = L1::start().await;
    let first = Seq::start_with(&l1, |c| c.keeper_interval = None).await;
    let alice = alice();
    l1.deposit(&alice, DEPOSIT).await;
    first.wait_collateral(&addr(&alice), DEPOSIT.into()).await;
    posted(&first).await;
    drop(first.stop().await); // silent for good, disk gone

    let action = withdraw(&alice, 2_000_000, 1);
    let (status, body) = l1
        .call(
            "/v1/force",
            &alice,
            protocol::api::settlement::ForceCall {
                action: action.clone(),
            },
        )
        .await;
    assert_eq!(status, 200, "force: {body}");
    let forced: protocol::api::settlement::ForceResponse =
        serde_json::from_value(body).expect("ForceResponse");
    l1.mine_stamped_now(forced.deadline_block + 1 - forced.block)
        .await;

    // A promoted proposer: its own key, funded; it bonds at start and rebuilds from L1.
    let promoted = key(7);
    l1.faucet(&addr(&promoted), 1_000_000).await;
    let second = Seq::start_with(&l1, |c| {
        c.key = promoted.clone();
        c.keeper_interval = None;
        c.bootstrap_from_l1 = true;
    })
    .await;
    let tx = protocol::action::Tx::L1 {
        queue_index: forced.queue_index,
        message: protocol::action::L1Message::Forced { action },
    };
    let lookup: protocol::api::sequencer::TxLookup = wait_for(
        "the overdue withdrawal to be included",
        Duration::from_secs(20),
        || async {
            let (status, body) = second.get_raw(&format!("/v1/txs/{}", tx.hash())).await;
            (status == 200).then(|| serde_json::from_value(body).expect("lookup"))
        },
    )
    .await;
    assert!(lookup.receipt.status.is_ok(), "{lookup:?}");
    posted(&second).await;
    let posted_by = l1.batch(lookup.batch_index).await.poster;
    assert_eq!(
        posted_by,
        addr(&promoted),
        "the promoted proposer posted it"
    );
    let (batches, tree) = l1.replay_chain().await.expect("an honest chain");
    assert_eq!(second.status().await.state_root, tree.root());
    assert!(batches.len() >= 2);
    second.stop().await;
    l1.shutdown().await;
}
