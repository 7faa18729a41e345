//! A post the settlement layer refuses because the batch waited too long: the sequencer
//! cannot post (it is not bonded) while a deposit is queued behind its sealed batches and
//! L1 moves past that deposit's deadline. Posting the old batch 0 then breaks the
//! force-inclusion rule (`overdue_message_skipped`), so the poster rolls back and
//! re-sequences: the L1 messages first, then every acknowledged user action in its original
//! order. Nothing acknowledged is lost, L1 holds an honest chain that consumes the whole
//! queue, and the chain keeps going.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
use protocol::action::TimeInForce;
use protocol::api::sequencer::{BatchStatus, TxAccepted, TxLookup, TxState};
use protocol::api::settlement::{BondCall, QueueResponse};
use std::time::Duration;

/// The `vigil_seq_reverts_total` counter.
async fn reverts(seq: &Seq) -> u64 {
    let (status, body) = seq.get_raw("/metrics").await;
    assert_eq!(status, 200);
    let text = body.as_str().expect("metrics are text").to_string();
    text.lines()
        .find_map(|l| l.strip_prefix("vigil_seq_reverts_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the reverts counter")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_post_is_resequenced_without_losing_acknowledged_actions() {
    let mut l1 = L1::start().await;
    let (alice, bob, carol) = (alice(), bob(), key(4));
    l1.deposit(&alice, DEPOSIT).await;
    l1.deposit(&bob, DEPOSIT).await;
    // Not bonded and never bonding on its own: every post is refused for now.
    let seq = Seq::start_unbonded(&l1).await;
    seq.wait_collateral(&addr(&bob), DEPOSIT.into()).await;

    // Acknowledged user actions in sealed, unposted batches.
    let mut acked: Vec<TxAccepted> = vec![seq.submit(&price(BTC, BTC_PRICE)).await];
    for n in 1..=3 {
        acked.push(
            seq.submit(&order(&alice, true, BTC_PRICE, 2, TimeInForce::Gtc, n))
                .await,
        );
        acked.push(seq.submit(&maker_ask(&bob, 1, n)).await);
    }
    // A deposit queued behind them, then L1 moves past its deadline.
    let late = l1.deposit(&carol, DEPOSIT).await;
    seq.wait_collateral(&addr(&carol), DEPOSIT.into()).await;
    acked.push(
        seq.submit(&order(&carol, true, BTC_PRICE, 1, TimeInForce::Gtc, 1))
            .await,
    );
    let head = l1
        .mine_stamped_now(late.deadline_block + 1 - late.block)
        .await
        .block
        .number;
    assert!(head > late.deadline_block);
    assert_eq!(seq.status().await.last_posted, None, "nothing could post");
    assert_eq!(reverts(&seq).await, 0);

    // Bonded now: batch 0 no longer consumes a message that is overdue, so its post is
    // refused and everything is re-sequenced into batches that include it.
    let (status, body) = l1
        .call("/v1/bond", &sequencer_key(), BondCall { amount: 1_000 })
        .await;
    assert_eq!(status, 200, "bond: {body}");
    wait_for(
        "the whole queue to be consumed on L1",
        Duration::from_secs(30),
        || async {
            let queue: QueueResponse = l1.get("/v1/queue?limit=1").await;
            (queue.next_unconsumed == queue.length && queue.length == late.queue_index + 1)
                .then_some(())
        },
    )
    .await;
    assert!(reverts(&seq).await >= 1, "the refused post was rolled back");

    // Every acknowledged action is included again, in its original order, and posted.
    let mut last_seq = None;
    for accepted in &acked {
        let lookup: TxLookup = wait_for(
            "a re-sequenced action to be posted",
            Duration::from_secs(30),
            || async {
                let lookup: TxLookup = seq.get(&format!("/v1/txs/{}", accepted.hash)).await;
                matches!(lookup.batch_status, BatchStatus::Posted { .. }).then_some(lookup)
            },
        )
        .await;
        assert_eq!(lookup.state, TxState::Included, "{}", accepted.hash);
        assert!(lookup.receipt.status.is_ok(), "{:?}", lookup.receipt);
        assert!(last_seq < Some(lookup.seq), "original order kept");
        last_seq = Some(lookup.seq);
    }
    let (batches, tree) = l1.replay_chain().await.expect("an honest chain on L1");
    assert!(!batches.is_empty());

    // The chain continues with honest batches.
    let more = seq.submit(&maker_ask(&bob, 1, 4)).await;
    let posted = wait_for(
        "the next batch to be posted",
        Duration::from_secs(30),
        || async {
            let s = seq.status().await;
            (s.last_posted >= Some(more.batch_index) && s.posting_error.is_none()).then_some(s)
        },
    )
    .await;
    let (after, tree_after) = l1.replay_chain().await.expect("still honest");
    assert!(after.len() > batches.len() || tree_after.root() != tree.root());
    assert_eq!(tree_after.root(), posted.state_root);
    seq.stop().await;
    l1.shutdown().await;
}
