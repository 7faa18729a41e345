//! Another bonded proposer posts a valid batch at the index this sequencer was about to
//! post: the sequencer adopts it instead of halting, re-sequences its own acknowledged
//! actions on top (leaving out the one the foreign batch already holds), posts on, and
//! every acknowledged action ends in the settlement layer's chain exactly once. The
//! foreign batch also holds a user transaction the STF rejects (this sequencer never
//! sequences one, but the protocol allows it): it is adopted as it is and replays after a
//! restart.

use crate::support::l1::L1;
use crate::support::seq::{Seq, test_config};
use crate::support::*;
use protocol::action::{L1Message, Tx};
use protocol::api::sequencer::{TxLookup, TxState};
use protocol::api::settlement::{BondCall, PostBatchCall};
use protocol::batch::{Batch, Draft, genesis_tree};
use protocol::codec::Encode;
use sequencer::StatusBody;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_batch_posted_by_another_proposer_is_adopted_and_nothing_acked_is_lost() {
    let mut l1 = L1::start().await;
    // Not bonded: the sequencer's own batch 0 is sealed but refused, so it stays local.
    let seq = Seq::start_unbonded(&l1).await;
    let alice = alice();
    let deposit = l1.deposit(&alice, DEPOSIT).await;
    seq.wait_collateral(&addr(&alice), DEPOSIT.into()).await;
    let priced = price(BTC, BTC_PRICE);
    let acked = [
        seq.submit(&priced).await,
        seq.submit(&withdraw(&alice, 1_000_000, 1)).await,
    ];
    assert!(acked.iter().all(|a| a.receipt.status.is_ok()), "{acked:?}");

    // Bob, another bonded proposer, posts batch 0 himself: the deposit, the same price, and
    // a withdrawal from an account that holds nothing (rejected, a receipt like any other).
    let bob = bob();
    let broke = withdraw(&key(77), 5, 0);
    l1.faucet(&addr(&bob), 10_000).await;
    let (status, body) = l1.call("/v1/bond", &bob, BondCall { amount: 1_000 }).await;
    assert_eq!(status, 200, "bond: {body}");
    let genesis = genesis();
    let txs = vec![
        Tx::L1 {
            queue_index: deposit.queue_index,
            message: L1Message::Deposit {
                account: addr(&alice),
                amount: DEPOSIT,
            },
        },
        Tx::User {
            action: priced.clone(),
        },
        Tx::User {
            action: broke.clone(),
        },
    ];
    let draft = Draft::first(&genesis, now_ms());
    let mut tree = genesis_tree(&genesis);
    let (foreign, receipts) =
        Batch::execute_and_seal(&mut tree, &genesis, draft, txs).expect("executes");
    assert!(
        !receipts[2].status.is_ok(),
        "the withdrawal is rejected: {:?}",
        receipts[2]
    );
    let (status, body) = l1
        .call("/v1/batches", &bob, PostBatchCall::Data(foreign.encode()))
        .await;
    assert_eq!(status, 200, "bob posts batch 0: {body}");

    // The sequencer bonds; its next round finds bob's batch 0, adopts it and posts on.
    l1.faucet(&addr(&sequencer_key()), 10_000).await;
    let (status, body) = l1
        .call("/v1/bond", &sequencer_key(), BondCall { amount: 1_000 })
        .await;
    assert_eq!(status, 200, "sequencer bond: {body}");
    wait_for(
        "the sequencer to post after bob's batch",
        Duration::from_secs(20),
        || async {
            let status: StatusBody = seq.get("/v1/status").await;
            (status.status.posting_error.is_none()
                && status.status.last_posted.is_some_and(|p| p >= 1)
                && status.status.open_batch.is_none())
            .then_some(())
        },
    )
    .await;

    let (batches, _) = l1.replay_chain().await.expect("an honest chain");
    assert_eq!(
        batches[0].header.hash(),
        foreign.header.hash(),
        "bob's batch stands"
    );
    for a in &acked {
        let lookup: TxLookup = seq.get(&format!("/v1/txs/{}", a.hash)).await;
        assert_eq!(lookup.state, TxState::Included, "{lookup:?}");
        let copies = batches
            .iter()
            .flat_map(|b| &b.txs)
            .filter(|tx| tx.hash() == a.hash)
            .count();
        assert_eq!(
            copies, 1,
            "acknowledged {} is in the chain exactly once",
            a.hash
        );
    }
    let root = l1.replay_chain().await.expect("chain").1.root();
    assert_eq!(seq.status().await.state_root, root);
    let broke_hash = Tx::User { action: broke }.hash();
    let lookup: TxLookup = seq.get(&format!("/v1/txs/{broke_hash}")).await;
    assert_eq!(lookup.state, TxState::Included, "{lookup:?}");
    assert!(!lookup.receipt.status.is_ok(), "{lookup:?}");
    assert_eq!(lookup.position, 2);

    // The adoption is in the journal like any batch: a restart replays to the same root.
    let dir = seq.stop().await;
    let mut config = test_config(&l1, dir.path());
    config.auto_bond = false;
    config.keeper_interval = None;
    let seq = Seq::launch(config, dir).await;
    assert_eq!(seq.status().await.state_root, root);
    seq.stop().await;
    l1.shutdown().await;
}
