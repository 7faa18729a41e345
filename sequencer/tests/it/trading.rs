//! The happy path over real HTTP: deposits arrive from L1, two accounts trade, batches are
//! posted with roots that `protocol` recomputes, and a withdrawal becomes claimable (with
//! its Merkle proof) after the challenge window and is paid on L1.

use crate::support::l1::{L1, WINDOW};
use crate::support::seq::Seq;
use crate::support::*;
use protocol::api::sequencer::{BatchStatus, TxLookup, TxState, WithdrawalStatus, WithdrawalView};
use protocol::api::settlement::BatchStatus as L1Status;
use protocol::engine::Status;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_trade_batches_settle_and_a_withdrawal_is_paid() {
    let mut l1 = L1::start().await;
    let seq = Seq::start(&l1).await;
    let (alice, bob) = (alice(), bob());
    l1.deposit(&alice, DEPOSIT).await;
    l1.deposit(&bob, DEPOSIT).await;
    seq.wait_collateral(&addr(&alice), DEPOSIT.into()).await;
    seq.wait_collateral(&addr(&bob), DEPOSIT.into()).await;

    seq.submit(&price(BTC, BTC_PRICE)).await;
    let maker = seq.submit(&maker_ask(&alice, ONE_BTC, 1)).await;
    assert_eq!(maker.receipt.status, Status::Ok);
    assert!(maker.receipt.fills.is_empty());
    assert_eq!(maker.receipt.order.as_ref().unwrap().resting, ONE_BTC);
    let taker = seq.submit(&taker_bid(&bob, ONE_BTC, 1)).await;
    assert!(
        taker.seq > maker.seq,
        "sequence numbers follow execution order"
    );
    let [fill] = taker.receipt.fills.as_slice() else {
        panic!("one fill expected: {:?}", taker.receipt)
    };
    assert_eq!((fill.maker, fill.taker), (addr(&alice), addr(&bob)));
    assert_eq!(
        (fill.price, fill.size, fill.taker_is_buy),
        (BTC_PRICE, ONE_BTC, true)
    );
    // Fees: 50,000 USDC notional at 2 bps (maker) and 5 bps (taker).
    assert_eq!((fill.maker_fee, fill.taker_fee), (10_000_000, 25_000_000));

    let a = seq.account(&addr(&alice)).await;
    let b = seq.account(&addr(&bob)).await;
    assert_eq!(a.positions.len(), 1);
    assert_eq!(
        (a.positions[0].size, a.positions[0].entry_price),
        (-i128::from(ONE_BTC), BTC_PRICE.into())
    );
    assert_eq!(
        (b.positions[0].size, b.positions[0].entry_price),
        (i128::from(ONE_BTC), BTC_PRICE.into())
    );
    assert_eq!(a.collateral, i128::from(DEPOSIT) - 10_000_000);
    assert_eq!(b.collateral, i128::from(DEPOSIT) - 25_000_000);
    assert!(a.open_orders.is_empty() && b.open_orders.is_empty());

    // The taker's transaction is found by hash, included in its batch.
    let lookup: TxLookup = seq.get(&format!("/v1/txs/{}", taker.hash)).await;
    assert_eq!(
        (lookup.state, lookup.seq, lookup.batch_index),
        (TxState::Included, taker.seq, taker.batch_index)
    );
    assert_eq!(lookup.receipt, taker.receipt);

    // A withdrawal: pending, then posted in its challenge window, then claimable.
    let amount = 1_000_000_000;
    let w = seq.submit(&withdraw(&alice, amount, 2)).await;
    let id = w.receipt.withdrawal_id.expect("a withdrawal id");
    let posted = wait_for(
        "the withdrawal's batch to be posted",
        Duration::from_secs(10),
        || async {
            let view: WithdrawalView = seq.get(&format!("/v1/withdrawals/{id}")).await;
            matches!(view.status, WithdrawalStatus::ChallengeWindow { .. }).then_some(view)
        },
    )
    .await;
    assert_eq!(
        (posted.account, posted.amount, posted.tx_hash),
        (addr(&alice), amount, w.hash)
    );
    let WithdrawalStatus::ChallengeWindow {
        blocks_remaining, ..
    } = posted.status
    else {
        unreachable!()
    };
    assert_eq!(
        blocks_remaining,
        WINDOW + 1,
        "final once the head passes the deadline"
    );
    assert!(matches!(
        seq.batch(w.batch_index).await.status,
        BatchStatus::Posted { .. }
    ));

    // Every posted batch re-executes to its committed roots, and ends at our state root.
    let sealed_root = wait_for("all batches posted", Duration::from_secs(10), || async {
        let s = seq.status().await;
        let all_posted = s.open_batch.is_none() && s.last_posted == s.last_sealed;
        all_posted.then_some(s.state_root)
    })
    .await;
    let (_, honest) = l1
        .replay_chain()
        .await
        .expect("every posted batch re-executes");
    assert_eq!(
        honest.root(),
        sealed_root,
        "the chain on L1 ends at our state root"
    );

    l1.mine_stamped_now(WINDOW + 1).await;
    let claim = seq.claim_call(&alice, id, Duration::from_secs(10)).await;
    assert_eq!(claim.amount, amount);
    assert!(matches!(
        l1.batch(claim.batch_index).await.status,
        L1Status::Finalized { .. }
    ));
    let before = l1.account(&addr(&alice)).await.balance;
    let (status, body) = l1.call("/v1/withdrawals/claim", &alice, claim).await;
    assert_eq!(status, 200, "claim: {body}");
    assert_eq!(l1.account(&addr(&alice)).await.balance, before + amount);
    wait_for(
        "the withdrawal to show as claimed",
        Duration::from_secs(10),
        || async {
            let view: WithdrawalView = seq.get(&format!("/v1/withdrawals/{id}")).await;
            matches!(view.status, WithdrawalStatus::Claimed { .. }).then_some(())
        },
    )
    .await;

    seq.stop().await;
    l1.shutdown().await;
}
