//! L1 messages: a forced withdrawal queued on the settlement layer is included by the
//! sequencer in queue order (as `Tx::L1`), lands in a posted batch that consumes the queue
//! message, and debits the account like a normal withdrawal.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
use protocol::action::{L1Message, Tx};
use protocol::api::sequencer::{TxLookup, TxState, WithdrawalView};
use protocol::api::settlement::{ForceCall, ForceResponse, QueueResponse};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_withdrawal_is_included_in_queue_order_and_posted() {
    let mut l1 = L1::start().await;
    let seq = Seq::start(&l1).await;
    let alice = alice();
    l1.deposit(&alice, DEPOSIT).await;
    seq.wait_collateral(&addr(&alice), DEPOSIT.into()).await;
    seq.submit(&price(BTC, BTC_PRICE)).await;

    // Alice forces a withdrawal through L1, bypassing the sequencer's intake.
    let action = withdraw(&alice, 2_000_000_000, 1);
    let (status, body) = l1
        .call(
            "/v1/force",
            &alice,
            ForceCall {
                action: action.clone(),
            },
        )
        .await;
    assert_eq!(status, 200, "force: {body}");
    let forced: ForceResponse = serde_json::from_value(body).unwrap();
    assert_eq!(forced.queue_index, 1, "after the deposit at index 0");
    let tx = Tx::L1 {
        queue_index: forced.queue_index,
        message: L1Message::Forced { action },
    };

    let lookup: TxLookup = wait_for(
        "the forced withdrawal to be sequenced",
        Duration::from_secs(10),
        || async {
            let (status, body) = seq.get_raw(&format!("/v1/txs/{}", tx.hash())).await;
            (status == 200).then(|| serde_json::from_value(body).unwrap())
        },
    )
    .await;
    assert_eq!(lookup.state, TxState::Included);
    assert!(lookup.receipt.status.is_ok(), "{:?}", lookup.receipt);
    let id = lookup.receipt.withdrawal_id.expect("a withdrawal id");
    let view: WithdrawalView = seq.get(&format!("/v1/withdrawals/{id}")).await;
    assert_eq!(
        (view.account, view.amount, view.tx_hash),
        (addr(&alice), 2_000_000_000, tx.hash())
    );
    assert_eq!(
        seq.account(&addr(&alice)).await.collateral,
        i128::from(DEPOSIT) - 2_000_000_000
    );

    // Its batch is posted and consumes the queue message on L1.
    wait_for(
        "the queue message to be consumed on L1",
        Duration::from_secs(10),
        || async {
            let queue: QueueResponse = l1.get("/v1/queue?limit=10").await;
            (queue.next_unconsumed == 2
                && queue.messages[1].consumed_by == Some(lookup.batch_index))
            .then_some(())
        },
    )
    .await;
    assert!(l1.replay_chain().await.is_ok());

    seq.stop().await;
    l1.shutdown().await;
}
