//! L1 messages: a forced withdrawal queued on the settlement layer is included by the
//! sequencer in queue order (as `Tx::L1`), lands in a posted batch that consumes the queue
//! message, and debits the account like a normal withdrawal. Its batch is sealed and
//! posted before the message's deadline block even when the batch interval is an hour,
//! and `/v1/status` names the oldest unconsumed message with its deadline.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
use k256::ecdsa::SigningKey;
use protocol::action::{Action, L1Message, PriceUpdate, SignedAction, TimeInForce, Tx};
use protocol::api::sequencer::{TxLookup, TxState, WithdrawalView};
use protocol::api::settlement::{ForceCall, ForceResponse, QueueResponse};
use protocol::engine::Receipt;
use sequencer::StatusBody;
use sequencer::follower::PendingL1;
use std::time::Duration;

/// Forces `action` through the settlement layer's queue.
async fn force(l1: &L1, key: &k256::ecdsa::SigningKey, action: SignedAction) -> ForceResponse {
    let (status, body) = l1.call("/v1/force", key, ForceCall { action }).await;
    assert_eq!(status, 200, "force: {body}");
    serde_json::from_value(body).expect("ForceResponse")
}

/// The live batch consuming queue message `index`, if one does yet.
async fn consumer_of(l1: &L1, index: u64) -> Option<u64> {
    let queue: QueueResponse = l1.get(&format!("/v1/queue?from={index}&limit=1")).await;
    queue.messages.first().and_then(|m| m.consumed_by)
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_withdrawal_is_posted_before_its_deadline_despite_a_long_batch_interval() {
    let mut l1 = L1::start().await;
    // Without the prompt seal, nothing would be sealed for an hour.
    let seq = Seq::start_with(&l1, |c| {
        c.batch_interval = Duration::from_secs(3_600);
        c.batch_max_txs = 1_000;
        c.keeper_interval = None;
    })
    .await;
    let alice = alice();
    l1.deposit(&alice, DEPOSIT).await;
    seq.wait_collateral(&addr(&alice), DEPOSIT.into()).await;
    // A user action opens a batch that, by size and time, would stay open for an hour.
    let priced = seq.submit(&price(BTC, BTC_PRICE)).await;

    let forced = force(&l1, &alice, withdraw(&alice, 1_000_000_000, 1)).await;
    assert!(forced.deadline_block > forced.block, "{forced:?}");
    // Drive L1 by hand, one block at a time, never past the deadline: at every height give
    // the sequencer a bounded time to get the message into a posted batch.
    let mut consumed = None;
    let mut head = forced.block;
    for _ in 0..=(forced.deadline_block - forced.block) {
        let started = std::time::Instant::now();
        for _ in 0..300 {
            consumed = consumer_of(&l1, forced.queue_index).await;
            if consumed.is_some() || started.elapsed() > Duration::from_secs(3) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if consumed.is_some() || head == forced.deadline_block {
            break;
        }
        head = l1.mine_stamped_now(1).await.block.number;
    }
    let batch = consumed.unwrap_or_else(|| {
        panic!(
            "queue message {} not consumed by its deadline block {}",
            forced.queue_index, forced.deadline_block
        )
    });
    let posted = l1.batch(batch).await;
    assert!(
        posted.posted_block <= forced.deadline_block,
        "posted at block {}, deadline {}",
        posted.posted_block,
        forced.deadline_block
    );
    // The forced message joined the batch the price update had opened, which was then
    // sealed early rather than after an hour.
    assert_eq!(priced.batch_index, batch);

    // Once consumed and recorded as posted, nothing is pending.
    let status = wait_for(
        "status to show the batch posted and no pending L1 message",
        Duration::from_secs(10),
        || async {
            let status: StatusBody = seq.get("/v1/status").await;
            (status.oldest_pending_l1.is_none() && status.status.last_posted == Some(batch))
                .then_some(status)
        },
    )
    .await;
    assert!(status.status.open_batch.is_none(), "{:?}", status.status);
    assert!(l1.replay_chain().await.is_ok());
    seq.stop().await;
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_names_the_oldest_unconsumed_l1_message_and_its_deadline() {
    let mut l1 = L1::start().await;
    // Never bonded: every post is refused, so the deposit stays unconsumed on L1.
    let seq = Seq::start_with(&l1, |c| c.auto_bond = false).await;
    let alice = alice();
    let deposit = l1.deposit(&alice, DEPOSIT).await;
    seq.wait_collateral(&addr(&alice), DEPOSIT.into()).await;
    let forced = force(&l1, &alice, withdraw(&alice, 1_000_000_000, 1)).await;
    assert_eq!(forced.queue_index, deposit.queue_index + 1);

    let expected = PendingL1 {
        queue_index: deposit.queue_index,
        kind: "deposit".into(),
        enqueued_block: deposit.block,
        deadline_block: deposit.deadline_block,
        sequenced: true,
    };
    let status = wait_for(
        "status to name the unconsumed deposit",
        Duration::from_secs(10),
        || async {
            let status: StatusBody = seq.get("/v1/status").await;
            (status.oldest_pending_l1.as_ref() == Some(&expected)
                && status.status.next_queue_index == forced.queue_index + 1
                && status.status.posting_error.is_some())
            .then_some(status)
        },
    )
    .await;
    assert!(
        status
            .status
            .posting_error
            .as_deref()
            .is_some_and(|e| e.contains("bond")),
        "{:?}",
        status.status.posting_error
    );
    seq.stop().await;
    l1.shutdown().await;
}

/// Forces `action` and waits for the sequencer to include it; its receipt.
async fn force_and_wait(l1: &L1, seq: &Seq, relayer: &SigningKey, action: SignedAction) -> Receipt {
    let forced = force(l1, relayer, action.clone()).await;
    let tx = Tx::L1 {
        queue_index: forced.queue_index,
        message: L1Message::Forced { action },
    };
    let lookup: TxLookup = wait_for(
        "the forced action to be sequenced",
        Duration::from_secs(10),
        || async {
            let (status, body) = seq.get_raw(&format!("/v1/txs/{}", tx.hash())).await;
            (status == 200).then(|| serde_json::from_value(body).unwrap())
        },
    )
    .await;
    lookup.receipt
}

/// Oracle starvation: the sequencer stops including prices, so a forced withdrawal from an
/// account with a position is included on time but rejected as stale. Anyone can then
/// relay the oracle's own signed price through the L1 queue; the next forced withdrawal
/// succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_oracle_price_defeats_price_starvation() {
    let mut l1 = L1::start().await;
    let seq = Seq::start_with(&l1, |c| c.keeper_interval = None).await;
    let (alice, bob) = (alice(), bob());
    l1.deposit(&alice, DEPOSIT).await;
    l1.deposit(&bob, DEPOSIT).await;
    seq.wait_collateral(&addr(&alice), DEPOSIT.into()).await;
    seq.wait_collateral(&addr(&bob), DEPOSIT.into()).await;

    // The last price the sequencer lets in is 5 s short of stale; alice and bob trade on it.
    let max_age_ms = genesis().max_price_age_ms;
    let priced_at = now_ms() - (max_age_ms - 5_000);
    let last_price = sign(
        &oracle_key(),
        Action::PriceUpdate(PriceUpdate {
            market: BTC,
            price: BTC_PRICE,
            timestamp_ms: priced_at,
        }),
    );
    assert!(seq.submit(&last_price).await.receipt.status.is_ok());
    let size = ONE_BTC / 10;
    let maker = seq
        .submit(&order(&alice, true, BTC_PRICE, size, TimeInForce::Gtc, 1))
        .await;
    let taker = seq
        .submit(&order(&bob, false, BTC_PRICE, size, TimeInForce::Ioc, 1))
        .await;
    assert!(maker.receipt.status.is_ok() && taker.receipt.status.is_ok());
    let account = seq.account(&addr(&alice)).await;
    assert!(
        account.positions.iter().any(|p| p.size != 0),
        "alice holds a position: {account:?}"
    );

    // Time passes without prices (a clock condition, bounded, not a synchronization sleep).
    wait_for(
        "the last price to go stale",
        Duration::from_secs(15),
        || async { (now_ms() > priced_at + max_age_ms + 500).then_some(()) },
    )
    .await;
    let starved = force_and_wait(&l1, &seq, &alice, withdraw(&alice, 1_000_000_000, 2)).await;
    assert_eq!(starved.status.code(), "stale_price", "{starved:?}");

    // bob relays the oracle's signed price through L1; then alice's forced withdrawal goes.
    let fresh = price(BTC, BTC_PRICE);
    let priced = force_and_wait(&l1, &seq, &bob, fresh).await;
    assert!(priced.status.is_ok(), "{priced:?}");
    let withdrawn = force_and_wait(&l1, &seq, &alice, withdraw(&alice, 1_000_000_000, 3)).await;
    assert!(withdrawn.status.is_ok(), "{withdrawn:?}");
    assert!(withdrawn.withdrawal_id.is_some());

    wait_for(
        "every forced message to be consumed on L1",
        Duration::from_secs(10),
        || async {
            let queue: QueueResponse = l1.get("/v1/queue?limit=10").await;
            (queue.next_unconsumed == queue.length).then_some(())
        },
    )
    .await;
    assert!(l1.replay_chain().await.is_ok());
    seq.stop().await;
    l1.shutdown().await;
}

/// A sequencer that cannot post (never bonded) while a forced withdrawal waits: once the
/// deadline plus the freeze delay pass, the settlement layer freezes the rollup, and the
/// sequencer stops acknowledging what it could never post (409 `rollup_frozen`, also right
/// after a restart) and stops posting, saying why in `/v1/status`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_rollup_refuses_new_actions_and_stops_posting() {
    let mut l1 = L1::start().await;
    let seq = Seq::start_unbonded(&l1).await;
    let alice = alice();
    l1.deposit(&alice, DEPOSIT).await;
    seq.wait_collateral(&addr(&alice), DEPOSIT.into()).await;
    force(&l1, &alice, withdraw(&alice, 1_000_000, 1)).await;
    let exit: protocol::api::settlement::ExitStatus = l1.get("/v1/exit").await;
    let freezes_at = exit.freezes_at_block.expect("a message waits");
    let head: protocol::api::settlement::StatusResponse = l1.get("/v1/status").await;
    l1.mine_stamped_now(freezes_at - head.block.number).await;
    let exit: protocol::api::settlement::ExitStatus = l1.get("/v1/exit").await;
    assert_eq!(exit.frozen_block, Some(freezes_at), "{exit:?}");

    let stopped = wait_for(
        "the poster to report the freeze",
        Duration::from_secs(20),
        || async {
            let status: StatusBody = seq.get("/v1/status").await;
            status
                .status
                .posting_error
                .filter(|e| e.contains("froze the rollup"))
        },
    )
    .await;
    assert!(
        stopped.contains(&format!("L1 block {freezes_at}")),
        "{stopped}"
    );
    assert!(stopped.contains("vigil exit claim"), "{stopped}");
    let (status, body) = post_price(&seq).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("rollup_frozen")),
        "{body}"
    );

    let dir = seq.stop().await;
    let mut config = crate::support::seq::test_config(&l1, dir.path());
    config.auto_bond = false;
    config.keeper_interval = None;
    let seq = Seq::launch(config, dir).await;
    let (status, body) = post_price(&seq).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("rollup_frozen")),
        "after a restart: {body}"
    );
    seq.stop().await;
    l1.shutdown().await;
}

/// Posts a fresh oracle price as a new action; returns the status and the JSON body.
async fn post_price(seq: &Seq) -> (u16, serde_json::Value) {
    let body = serde_json::to_vec(&price(BTC, BTC_PRICE)).expect("json");
    seq.post_raw("/v1/tx", body).await
}
