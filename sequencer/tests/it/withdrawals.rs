//! A withdrawal's status changes (issue #17) as the journal records them for the feed's
//! `withdrawals` channel (`journal::withdrawal_events`): requested, in batch, challenge
//! window, finalized, each once and in order, and the same after a restart; and the same
//! changes as a feed subscriber receives them over a real WebSocket, resumed from any
//! event (and from the legacy `since_seq`), before and after a sequencer restart.

use crate::stream::{Socket, connect, next, subscribe};
use crate::support::l1::L1;
use crate::support::seq::{Seq, test_config};
use crate::support::*;
use protocol::api::stream::{StreamMessage, Subscribe, WithdrawalUpdate};
use protocol::primitives::Address;
use rusqlite::OpenFlags;
use sequencer::journal::withdrawal_events::{self, Reached};
use std::time::Duration;
use withdrawal_events::Reached::{ChallengeWindow, Finalized, InBatch, Requested};

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
    let want = vec![
        (id, Reached::Requested, batch),
        (id, Reached::InBatch, batch),
        (id, Reached::ChallengeWindow, batch),
        (id, Reached::Finalized, batch),
    ];
    assert_eq!(events(&seq, &a), want);
    let dir = seq.stop().await;
    let mut config = test_config(&l1, dir.path());
    config.keeper_interval = None;
    let seq = Seq::launch(config, dir).await;
    assert_eq!(events(&seq, &a), want, "after a restart");
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
    let all = withdrawal_updates(&mut live, 4).await;
    let got: Vec<_> = all
        .iter()
        .map(|w| (w.withdrawal_id, w.status, w.batch_index, w.amount))
        .collect();
    let want: Vec<_> = [Requested, InBatch, ChallengeWindow, Finalized]
        .into_iter()
        .map(|status| (id, status, batch, 1_000_000))
        .collect();
    assert_eq!(got, want, "{all:?}");
    let events: Vec<u64> = all.iter().map(|w| w.event.expect("an event")).collect();
    assert!(events.windows(2).all(|w| w[0] < w[1]), "{events:?}");

    // Each start, and what it gets: every update from the legacy since_seq 0; after
    // each event, exactly the rest.
    let mut starts = vec![((Some(0), None), 0)];
    starts.extend((0..3).map(|k| ((None, Some(events[k])), k + 1)));
    starts.push(((Some(0), Some(events[1])), 2)); // since_event wins
    for (start, skipped) in &starts {
        let (_, resumed) = updates_from(&seq, a, *start, 4 - skipped).await;
        assert_eq!(resumed, all[*skipped..], "from {start:?}");
    }

    // After a restart: the same history, resumed mid-way; and a subscriber at the last
    // event gets the next withdrawal's first status, nothing repeated.
    let dir = seq.stop().await;
    let mut config = test_config(&l1, dir.path());
    config.keeper_interval = None;
    let seq = Seq::launch(config, dir).await;
    let (_, resumed) = updates_from(&seq, a, (None, Some(events[1])), 2).await;
    assert_eq!(resumed, all[2..], "after a restart");
    let mut at_end = connect(&seq).await;
    let request = Subscribe::Withdrawals {
        account: a,
        since_seq: None,
        since_event: Some(events[3]),
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
