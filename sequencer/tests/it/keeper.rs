//! The liquidation keeper: when the oracle moves a leveraged position below its
//! maintenance margin, the sequencer liquidates it with a `Liquidate` signed by its own key,
//! through the normal intake.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
use protocol::api::sequencer::{TxListResponse, TxLookup};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_under_maintenance_margin_is_liquidated_by_the_keeper() {
    let mut l1 = L1::start().await;
    let seq = Seq::start(&l1).await;
    let (alice, bob) = (alice(), bob());
    // Alice: 6,000 USDC behind a 1 BTC long (initial margin 5,000).
    l1.deposit(&alice, 6_000_000_000).await;
    l1.deposit(&bob, DEPOSIT).await;
    seq.wait_collateral(&addr(&alice), 6_000_000_000).await;
    seq.wait_collateral(&addr(&bob), DEPOSIT.into()).await;
    seq.submit(&price(BTC, BTC_PRICE)).await;
    seq.submit(&maker_ask(&bob, ONE_BTC, 1)).await;
    seq.submit(&taker_bid(&alice, ONE_BTC, 1)).await;
    assert!(
        seq.account(&addr(&alice))
            .await
            .liquidatable_markets
            .is_empty()
    );

    // BTC falls 10%: alice's equity (~975 USDC) is under maintenance (2,250 USDC).
    let crash = wait_for(
        "a newer oracle timestamp",
        Duration::from_secs(5),
        || async {
            let p = price(BTC, BTC_PRICE / 10 * 9);
            let (status, _) = seq.post("/v1/tx", &p).await;
            (status == 200).then_some(())
        },
    );
    crash.await;
    let liquidated = wait_for(
        "the keeper to liquidate alice",
        Duration::from_secs(10),
        || async {
            let a = seq.account(&addr(&alice)).await;
            a.positions.is_empty().then_some(a)
        },
    )
    .await;
    assert!(
        liquidated.collateral < 6_000_000_000,
        "the loss and the fee were taken"
    );
    assert!(
        seq.account(&addr(&bob)).await.positions.len() == 1,
        "the counterparty keeps its position"
    );

    // The liquidation is a sequenced transaction signed by the sequencer.
    let txs: TxListResponse = seq.get("/v1/txs?limit=1000").await;
    let mut found = false;
    for entry in txs.txs.iter().rev() {
        let lookup: TxLookup = seq.get(&format!("/v1/txs/{}", entry.hash)).await;
        if let Some(l) = &lookup.receipt.liquidation {
            assert_eq!(l.account, addr(&alice));
            found = true;
            break;
        }
    }
    assert!(found, "a Liquidate transaction is in the chain");

    seq.stop().await;
    l1.shutdown().await;
}
