//! A withdrawal's status changes (issue #17) as the journal records them for the feed's
//! `withdrawals` channel (`journal::withdrawal_events`): requested, in batch, challenge
//! window, finalized, claimed (on L1), each once and in order, and the same after a
//! restart, a claim made while the sequencer was down included; the same changes as a
//! feed subscriber receives them over a real WebSocket, resumed from any event (and from
//! the legacy `since_seq`), before and after a sequencer restart; and a withdrawal whose
//! batch a fraud proof reverts: reverted, then requested again.

use crate::revert::{batch_boundary, challenge_first_bad_batch};
use crate::stream::{Socket, connect, next, subscribe};
use crate::support::l1::L1;
use crate::support::seq::{Seq, test_config};
use crate::support::*;
use k256::ecdsa::SigningKey;
use protocol::api::settlement::ClaimWithdrawalCall;
use protocol::api::stream::{StreamMessage, Subscribe, WithdrawalUpdate};
use protocol::fault::Fault;
use protocol::primitives::Address;
use rusqlite::OpenFlags;
use sequencer::FaultPlan;
use sequencer::journal::withdrawal_events::{self, Reached};
use std::time::Duration;
use withdrawal_events::Reached::{
    ChallengeWindow, Claimed, Finalized, InBatch, Requested, Reverted,
};

/// `account`'s withdrawal events as (id, status, batch), read from the running journal.
fn events(seq: &Seq, account: &protocol::primitives::Address) -> Vec<(u64, Reached, u64)> {
    let db = seq.data_dir().join(sequencer::journal::DB_FILE);
    let conn = rusqlite::Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the journal");
    withdrawal_events::account_events(&conn, account, 0, 100)
        .expect("the events")
        .into_iter()
        .map(|e| (e.withdrawal_id, e.status, e.batch_index))
        .collect()
}

/// Claims on L1 with `call`, signed by `key`.
async fn claim(l1: &L1, key: &SigningKey, call: ClaimWithdrawalCall) {
    let (status, body) = l1.call("/v1/withdrawals/claim", key, call).await;
    assert_eq!(status, 200, "claim: {body}");
}

/// The sequencer on `l1` started again on its data dir `dir` (no keeper).
async fn restart(l1: &L1, dir: tempfile::TempDir) -> Seq {
    let mut config = test_config(l1, dir.path());
    config.keeper_interval = None;
    Seq::launch(config, dir).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawals_status_changes_are_journaled_in_order_and_survive_a_restart() {
    let (l1, seq) = funded_pair(|_| {}).await;
    let alice = alice();
    let a = addr(&alice);
    let w = seq.submit(&withdraw(&alice, 1_000_000, 1)).await;
    let id = w.receipt.withdrawal_id.expect("a withdrawal id");
    let batch = w.batch_index;
    wait_for("its batch posted", Duration::from_secs(20), || async {
        let s = seq.status().await;
        (s.last_posted >= Some(batch)).then_some(())
    })
    .await;
    l1.mine_stamped_now(10).await;
    wait_for("its batch final", Duration::from_secs(20), || async {
        let s = seq.status().await;
        (s.last_finalized >= Some(batch)).then_some(())
    })
    .await;
    let mut want = vec![
        (id, Reached::Requested, batch),
        (id, Reached::InBatch, batch),
        (id, Reached::ChallengeWindow, batch),
        (id, Reached::Finalized, batch),
    ];
    assert_eq!(events(&seq, &a), want);
    let call = seq.claim_call(&alice, id, Duration::from_secs(20)).await;
    let dir = seq.stop().await;
    let seq = restart(&l1, dir).await;
    assert_eq!(events(&seq, &a), want, "after a restart");

    // Claimed on L1 while the sequencer is down: reported after its restart, once.
    let dir = seq.stop().await;
    claim(&l1, &alice, call).await;
    let seq = restart(&l1, dir).await;
    want.push((id, Reached::Claimed, batch));
    wait_for("the claim journaled", Duration::from_secs(20), || async {
        (events(&seq, &a).len() >= want.len()).then_some(())
    })
    .await;
    assert_eq!(events(&seq, &a), want, "the claim made while it was down");
    let dir = seq.stop().await;
    let seq = restart(&l1, dir).await;
    assert_eq!(
        events(&seq, &a),
        want,
        "read again after a restart: not repeated"
    );
}

/// The next `count` withdrawal messages on `socket` (acks and pings skipped), bounded.
async fn withdrawal_updates(socket: &mut Socket, count: usize) -> Vec<WithdrawalUpdate> {
    let mut got = Vec::new();
    for _ in 0..1_000 {
        if got.len() >= count {
            break;
        }
        if let StreamMessage::Withdrawal { withdrawal, .. } = next(socket).await {
            got.push(withdrawal);
        }
    }
    got
}

/// A fresh subscription to `account`'s withdrawals from `start` (since_seq, since_event),
/// with the next `count` updates it delivers.
async fn updates_from(
    seq: &Seq,
    account: Address,
    start: (Option<u64>, Option<u64>),
    count: usize,
) -> (Socket, Vec<WithdrawalUpdate>) {
    let mut socket = connect(seq).await;
    let (since_seq, since_event) = start;
    let request = Subscribe::Withdrawals {
        account,
        since_seq,
        since_event,
    };
    subscribe(&mut socket, &request).await;
    let got = withdrawal_updates(&mut socket, count).await;
    (socket, got)
}

/// A withdrawal's way to claimable: subscribes live, withdraws, waits for its batch to be
/// final; returns the live subscriber's socket and the withdrawal's id and batch.
async fn withdrawn_to_final(l1: &L1, seq: &Seq, account: Address) -> (Socket, u64, u64) {
    let mut socket = connect(seq).await;
    let live = Subscribe::Withdrawals {
        account,
        since_seq: None,
        since_event: None,
    };
    subscribe(&mut socket, &live).await;
    let ack = next(&mut socket).await;
    assert!(matches!(ack, StreamMessage::Subscribed { .. }), "{ack:?}");
    let w = seq.submit(&withdraw(&alice(), 1_000_000, 1)).await;
    let id = w.receipt.withdrawal_id.expect("a withdrawal id");
    let batch = w.batch_index;
    wait_for("its batch posted", Duration::from_secs(20), || async {
        (seq.status().await.last_posted >= Some(batch)).then_some(())
    })
    .await;
    l1.mine_stamped_now(10).await;
    wait_for("its batch final", Duration::from_secs(20), || async {
        (seq.status().await.last_finalized >= Some(batch)).then_some(())
    })
    .await;
    (socket, id, batch)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_sees_each_status_in_order_and_resumes_from_any_event_across_a_restart() {
    let (l1, seq) = funded_pair(|_| {}).await;
    let a = addr(&alice());
    let (mut live, id, batch) = withdrawn_to_final(&l1, &seq, a).await;
    let mut all = withdrawal_updates(&mut live, 4).await;
    // Claimed on L1: the live subscriber sees it at once.
    claim(
        &l1,
        &alice(),
        seq.claim_call(&alice(), id, Duration::from_secs(20)).await,
    )
    .await;
    all.extend(withdrawal_updates(&mut live, 1).await);
    let got: Vec<_> = all
        .iter()
        .map(|w| (w.withdrawal_id, w.status, w.batch_index, w.amount))
        .collect();
    let want: Vec<_> = [Requested, InBatch, ChallengeWindow, Finalized, Claimed]
        .into_iter()
        .map(|status| (id, status, batch, 1_000_000))
        .collect();
    assert_eq!(got, want, "{all:?}");
    let events: Vec<u64> = all.iter().map(|w| w.event.expect("an event")).collect();
    assert!(events.windows(2).all(|w| w[0] < w[1]), "{events:?}");

    // Each start, and what it gets: every update from the legacy since_seq 0; after
    // each event, exactly the rest.
    let mut starts = vec![((Some(0), None), 0)];
    starts.extend((0..4).map(|k| ((None, Some(events[k])), k + 1)));
    starts.push(((Some(0), Some(events[1])), 2)); // since_event wins
    for (start, skipped) in &starts {
        let (_, resumed) = updates_from(&seq, a, *start, all.len() - skipped).await;
        assert_eq!(resumed, all[*skipped..], "from {start:?}");
    }

    // After a restart: the same history, resumed mid-way; and a subscriber at the last
    // event gets the next withdrawal's first status, nothing repeated.
    let dir = seq.stop().await;
    let seq = restart(&l1, dir).await;
    let (_, resumed) = updates_from(&seq, a, (None, Some(events[1])), 3).await;
    assert_eq!(resumed, all[2..], "after a restart");
    let mut at_end = connect(&seq).await;
    let request = Subscribe::Withdrawals {
        account: a,
        since_seq: None,
        since_event: Some(events[4]),
    };
    subscribe(&mut at_end, &request).await;
    let second = seq.submit(&withdraw(&alice(), 2_000_000, 2)).await;
    let next_one = withdrawal_updates(&mut at_end, 1).await;
    let next_one: Vec<_> = next_one
        .iter()
        .map(|w| (w.withdrawal_id, w.status, w.amount))
        .collect();
    let second_id = second.receipt.withdrawal_id.expect("a withdrawal id");
    assert_eq!(next_one, [(second_id, Requested, 2_000_000)]);
    assert!(second_id != id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_in_a_batch_a_fraud_proof_reverts_is_reported_reverted_then_requested_again() {
    let l1 = L1::start().await;
    let alice = alice();
    l1.deposit(&alice, DEPOSIT).await; // batch 0 holds it, honest
    let seq = Seq::start_with(&l1, |c| {
        c.keeper_interval = None;
        c.inject_fault = Some(FaultPlan {
            fault: Fault::WrongRoot,
            from_batch: 1,
        });
    })
    .await;
    seq.wait_collateral(&addr(&alice), DEPOSIT.into()).await;
    batch_boundary(&seq).await;
    let mut socket = connect(&seq).await;
    let live = Subscribe::Withdrawals {
        account: addr(&alice),
        since_seq: None,
        since_event: None,
    };
    subscribe(&mut socket, &live).await;
    let w = seq.submit(&withdraw(&alice, 1_000_000, 1)).await;
    let (id, batch) = (w.receipt.withdrawal_id.expect("an id"), w.batch_index);
    let posted = withdrawal_updates(&mut socket, 3).await;
    let statuses: Vec<_> = posted.iter().map(|u| u.status).collect();
    assert_eq!(
        statuses,
        [Requested, InBatch, ChallengeWindow],
        "{posted:?}"
    );

    // A verifier proves the wrong root: the withdrawal's batch reverts, and the sequencer
    // sequences the withdrawal again.
    let (_, bad, ruling) = challenge_first_bad_batch(&l1, &key(5)).await;
    assert!(
        bad <= batch && ruling.reverted.contains(&batch),
        "{ruling:?}"
    );
    let after = withdrawal_updates(&mut socket, 2).await;
    let got: Vec<_> = after.iter().map(|u| (u.withdrawal_id, u.status)).collect();
    assert_eq!(got, [(id, Reverted), (id, Requested)], "{after:?}");
    assert_eq!((after[0].seq, after[0].batch_index), (w.seq, batch));
    assert!(
        after[1].seq > w.seq,
        "requested again with its new seq: {after:?}"
    );
    assert!(posted[2].event < after[0].event && after[0].event < after[1].event);
}
