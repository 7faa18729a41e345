//! Fraud recovery end to end: a sequencer started with `--inject-fault wrong-root@batch=2`
//! posts a batch with a wrong checkpoint; the test, acting as a verifier, re-executes the
//! chain from L1 with `protocol::fraud`, proves the first bad chunk, and the settlement
//! layer upholds the proof and reverts. The sequencer rolls back to the last valid root,
//! re-sequences the reverted user actions in their original order (all still valid), bonds
//! again after the slash and posts honest batches. No acknowledged action is lost, and the
//! final state equals an honest run of the same actions.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
use protocol::action::{L1Message, TimeInForce, Tx};
use protocol::api::sequencer::{StatusResponse, TxAccepted, TxLookup, TxState};
use protocol::api::settlement::{ChallengeCall, ChallengeResponse};
use protocol::batch::{Batch, domain_separator, execute_tx, genesis_tree};
use protocol::engine::BlockContext;
use protocol::engine::view::account_view;
use protocol::fault::Fault;
use protocol::fraud;
use sequencer::FaultPlan;
use std::time::Duration;

const FAULTY_BATCH: u64 = 2;

fn user_txs(batches: &[Batch]) -> Vec<Tx> {
    batches
        .iter()
        .flat_map(|b| b.txs.iter())
        .filter(|tx| matches!(tx, Tx::User { .. }))
        .cloned()
        .collect()
}

/// The verifier's part: re-executes L1's live batches, proves the first bad chunk and
/// challenges it with `challenger`'s key (the proof must be upheld); returns every posted
/// batch, the bad batch's index and the ruling.
pub async fn challenge_first_bad_batch(
    l1: &L1,
    challenger: &k256::ecdsa::SigningKey,
) -> (Vec<Batch>, u64, ChallengeResponse) {
    let genesis = genesis();
    let mut tree = genesis_tree(&genesis);
    let mut posted = Vec::new();
    let mut found = None;
    for view in l1.live_batches().await {
        let data = l1.batch(view.index).await.data.expect("data");
        let batch: Batch = protocol::codec::Decode::decode(&data).expect("decodes");
        let (post, bad) = fraud::find_first_bad_chunk(&tree, &genesis, &batch).expect("full tree");
        posted.push(batch.clone());
        if found.is_none() {
            match bad {
                Some(bad) => found = Some((batch, bad)),
                None => tree = post,
            }
        }
    }
    let (bad_batch, bad) = found.expect("the verifier finds the wrong root");
    let proof = fraud::build(&genesis, &bad_batch, bad.chunk, &bad.pre_state).expect("a proof");
    let call = ChallengeCall {
        proof,
        header_hash: Some(bad_batch.header.hash()),
    };
    let (status, body) = l1.call("/v1/challenge", challenger, call).await;
    assert_eq!(status, 200, "the proof is upheld: {body}");
    let ruling = serde_json::from_value(body).expect("a ruling");
    (posted, bad_batch.header.index, ruling)
}

/// Waits until the open batch (if any) is sealed, so the next action starts a new batch.
pub async fn batch_boundary(seq: &Seq) -> StatusResponse {
    wait_for(
        "the open batch to seal",
        Duration::from_secs(10),
        || async {
            let s = seq.status().await;
            s.open_batch.is_none().then_some(s)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proven_wrong_root_reverts_and_the_sequencer_resequences_honestly() {
    let mut l1 = L1::start().await;
    let (alice, bob, challenger) = (alice(), bob(), key(5));
    // Both deposits are queued before the sequencer starts: batch 0 holds them.
    l1.deposit(&alice, DEPOSIT).await;
    l1.deposit(&bob, DEPOSIT).await;
    let seq = Seq::start_with(&l1, |c| {
        c.keeper_interval = None;
        c.inject_fault = Some(FaultPlan {
            fault: Fault::WrongRoot,
            from_batch: FAULTY_BATCH,
        });
    })
    .await;
    seq.wait_collateral(&addr(&bob), DEPOSIT.into()).await;
    batch_boundary(&seq).await;

    // Three phases, each in batches of its own: a price, a trade, a trade and a withdrawal.
    let mut acked: Vec<TxAccepted> = vec![seq.submit(&price(BTC, BTC_PRICE)).await];
    batch_boundary(&seq).await;
    acked.push(seq.submit(&maker_ask(&alice, ONE_BTC, 1)).await);
    acked.push(seq.submit(&taker_bid(&bob, ONE_BTC, 1)).await);
    batch_boundary(&seq).await;
    acked.push(seq.submit(&maker_ask(&bob, ONE_BTC / 2, 2)).await);
    acked.push(seq.submit(&taker_bid(&alice, ONE_BTC / 2, 2)).await);
    acked.push(seq.submit(&withdraw(&alice, 1_000_000_000, 3)).await);
    assert!(
        acked[1].batch_index >= FAULTY_BATCH,
        "the trades come after the faulty batch starts"
    );

    // Everything posted, with the fault in it.
    let faulty = wait_for(
        "the faulty batches to be posted",
        Duration::from_secs(10),
        || async {
            let s = seq.status().await;
            let done =
                s.open_batch.is_none() && s.last_posted.is_some() && s.last_posted == s.last_sealed;
            (done && s.fault.as_deref().is_some_and(|f| f.ends_with("(spent)"))).then_some(s)
        },
    )
    .await;
    assert_eq!(faulty.fault.as_deref(), Some("wrong-root@batch=2 (spent)"));

    // The verifier: re-execute L1's batches, find the first bad chunk, prove it.
    let (posted, bad_index, ruling) = challenge_first_bad_batch(&l1, &challenger).await;
    assert_eq!(
        bad_index, FAULTY_BATCH,
        "the fault is in the configured batch"
    );
    let genesis = genesis();
    let reverted: Vec<u64> = (FAULTY_BATCH..posted.len() as u64).collect();
    assert_eq!(
        ruling.reverted, reverted,
        "the bad batch and every later one revert"
    );
    assert_eq!(ruling.slash.sequencer, addr(&sequencer_key()));

    // The sequencer rolls back, re-sequences, bonds again and posts honest batches.
    let (batches, honest) = wait_for(
        "honest batches to replace the reverted ones",
        Duration::from_secs(15),
        || async {
            let s = seq.status().await;
            let settled = s.open_batch.is_none()
                && s.posting_error.is_none()
                && s.last_posted == s.last_sealed;
            let chain = l1.replay_chain().await.ok()?;
            let complete =
                chain.0.len() as u64 == s.last_sealed? + 1 && chain.0.len() as u64 > FAULTY_BATCH;
            (settled && complete && chain.1.root() == s.state_root).then_some(chain)
        },
    )
    .await;
    assert_eq!(
        user_txs(&batches[FAULTY_BATCH as usize..]),
        user_txs(&posted[FAULTY_BATCH as usize..]),
        "the reverted user actions are re-sequenced in their original order"
    );
    assert_eq!(
        batches[..FAULTY_BATCH as usize],
        posted[..FAULTY_BATCH as usize],
        "earlier batches stand"
    );
    assert!(
        l1.account(&addr(&sequencer_key())).await.bond >= 1_000,
        "bonded again"
    );

    // Nothing acknowledged is lost: every action is included again.
    for a in &acked {
        let lookup: TxLookup = seq.get(&format!("/v1/txs/{}", a.hash)).await;
        assert_eq!(
            lookup.state,
            TxState::Included,
            "{} survives the revert",
            a.hash
        );
        assert_eq!(lookup.receipt.status, a.receipt.status);
        assert_eq!(lookup.receipt.fills, a.receipt.fills, "the same fills");
    }
    // The history was rewritten with the chain: it is the replay's, nothing twice.
    crate::history::assert_history_is_the_replay(&seq, &batches, &[addr(&alice), addr(&bob)]).await;

    // The final state equals an honest run of the same actions.
    let mut run = genesis_tree(&genesis);
    let ctx = BlockContext {
        timestamp_ms: now_ms(),
    };
    let domain = domain_separator(&genesis);
    let deposits = [(0, &alice), (1, &bob)].map(|(queue_index, k)| Tx::L1 {
        queue_index,
        message: L1Message::Deposit {
            account: addr(k),
            amount: DEPOSIT,
        },
    });
    let on_l1 = |hash| {
        let mut txs = batches.iter().flat_map(|b| b.txs.iter());
        txs.find(|tx| tx.hash() == hash)
            .cloned()
            .unwrap_or_else(|| panic!("{hash} is on L1"))
    };
    let actions: Vec<Tx> = acked.iter().map(|a| on_l1(a.hash)).collect();
    for tx in deposits.into_iter().chain(actions) {
        let receipt = execute_tx(&mut run, &genesis, &domain, &ctx, &tx).expect("full tree");
        assert!(receipt.status.is_ok(), "{receipt:?}");
    }
    for k in [&alice, &bob] {
        let ours = seq.account(&addr(k)).await;
        let theirs = account_view(&mut run.clone(), &genesis, &ctx, &addr(k)).expect("view");
        assert_eq!(
            (
                ours.collateral,
                ours.equity,
                &ours.positions,
                &ours.open_orders
            ),
            (
                theirs.collateral,
                theirs.equity,
                &theirs.positions,
                &theirs.open_orders
            ),
            "{} after recovery equals the honest run",
            addr(k)
        );
    }
    assert_eq!(honest.root(), seq.status().await.state_root);

    // A restart replays the revert from the log: same root, the fault stays spent.
    let before = seq.status().await;
    let dir = seq.stop().await;
    let mut config = crate::support::seq::test_config(&l1, dir.path());
    config.keeper_interval = None;
    config.inject_fault = Some(FaultPlan {
        fault: Fault::WrongRoot,
        from_batch: FAULTY_BATCH,
    });
    let seq = Seq::launch(config, dir).await;
    let after = seq.status().await;
    assert_eq!(
        (after.state_root, after.next_seq),
        (before.state_root, before.next_seq)
    );
    assert_eq!(after.fault.as_deref(), Some("wrong-root@batch=2 (spent)"));
    let more = seq
        .submit(&order(
            &bob,
            true,
            BTC_PRICE,
            ONE_BTC / 10,
            TimeInForce::Gtc,
            9,
        ))
        .await;
    wait_for(
        "the new batch to be posted honestly",
        Duration::from_secs(10),
        || async {
            let s = seq.status().await;
            let posted = s.last_posted.is_some_and(|p| p >= more.batch_index);
            let chain = l1.replay_chain().await.ok()?;
            (posted && chain.1.root() == s.state_root).then_some(())
        },
    )
    .await;

    seq.stop().await;
    l1.shutdown().await;
}
