//! The SQLite store is the snapshot model on disk: replaying a replica's journal page by
//! page into it (one transaction each) and reopening the database gives exactly the
//! replica's own snapshot, after every page, through a chain with fraud, a proof, reverts,
//! re-sequencing and finalizations.

use crate::support::world::{Replica, SEQUENCER, World};
use protocol::api::verifier::Mode;
use protocol::fault::Fault;
use protocol::primitives::Address;
use verifier::core::{Finding, Snapshot};
use verifier::store::Store;

#[test]
fn replaying_the_journal_into_sqlite_reopens_as_the_replicas_snapshot() {
    let mut world = World::new(41, 5, 2, 4);
    let genesis = world.workload.genesis.clone();
    let mut replica = Replica::new(&world, Mode::Challenge, Address([0xab; 20]));
    let mut snapshots = Vec::new();
    let step = |world: &World, replica: &mut Replica, snapshots: &mut Vec<(usize, Snapshot)>| {
        replica.feed(&world.ledger, 2);
        snapshots.push((replica.pages.len(), replica.core.snapshot()));
    };
    for _ in 0..2 {
        world.post_next(6, None);
        world.ledger.mine(1);
        step(&world, &mut replica, &mut snapshots);
    }
    let bad = world.post_next(8, Some(Fault::Mint)).batch.header.index;
    world.post_next(3, None);
    step(&world, &mut replica, &mut snapshots);
    replica.challenge(&mut world.ledger, false);
    snapshots.push((replica.pages.len(), replica.core.snapshot()));
    step(&world, &mut replica, &mut snapshots);
    world.seq.rewind(bad);
    world.ledger.bond(SEQUENCER, 1_000);
    world.post_next(5, None);
    world.ledger.mine(6);
    step(&world, &mut replica, &mut snapshots);
    assert_eq!(
        replica.core.anchor().index,
        Some(bad),
        "finalized past the revert"
    );

    let dir = tempfile::tempdir().expect("dir");
    let (store, loaded) = Store::open(dir.path(), &genesis).expect("open");
    assert_eq!(loaded, Snapshot::at_genesis(&genesis));
    drop(store);
    let mut done = 0;
    for (pages, expected) in snapshots {
        let (mut store, _) = Store::open(dir.path(), &genesis).expect("reopen");
        for page in &replica.pages[done..pages] {
            store.commit(page, &[]).expect("commit");
        }
        done = pages;
        drop(store);
        let (store, reloaded) = Store::open(dir.path(), &genesis).expect("reopen");
        assert_eq!(reloaded, expected, "after page {pages}");
        drop(store);
    }
}

#[test]
fn findings_are_stored_in_order() {
    let dir = tempfile::tempdir().expect("dir");
    let genesis = World::new(42, 2, 2, 4).workload.genesis;
    let (mut store, _) = Store::open(dir.path(), &genesis).expect("open");
    let findings: Vec<(u64, Finding)> = (1..=3)
        .map(|seq| {
            (
                seq,
                Finding::Halted {
                    reason: format!("reason {seq}"),
                },
            )
        })
        .collect();
    store.commit(&[], &findings).expect("commit");
    let stored = store.findings(2).expect("read");
    let reasons: Vec<_> = stored
        .iter()
        .map(|(seq, f)| (*seq, f["reason"].as_str().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(
        reasons,
        vec![(2, "reason 2".into()), (3, "reason 3".into())]
    );
    assert!(stored.iter().all(|(_, f)| f["kind"] == "halted"));
}
