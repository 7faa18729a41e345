//! A withdrawal's status changes (issue #17) as the journal records them for the feed's
//! `withdrawals` channel (`journal::withdrawal_events`): requested, in batch, challenge
//! window, finalized, each once and in order, and the same after a restart.

use crate::support::seq::{Seq, test_config};
use crate::support::*;
use rusqlite::OpenFlags;
use sequencer::journal::withdrawal_events::{self, Reached};
use std::time::Duration;

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
