//! The verifier's pure core (`verifier::core::Follower`) in the production world of the
//! simulation, scenario by scenario: it verifies honest batches, finds each kind of fault
//! at the injected chunk and proves it, rewinds after a revert (its own proof or another
//! verifier's), halts when fraud finalizes, refuses events out of order, resumes from its
//! persisted form to the same replica and the same proofs, and its journal replayed into
//! the SQLite store reopens as the same snapshot. The settlement rules are
//! `contracts_mock::Ledger` and the cheating sequencer is `sequencer::executor::Core` with
//! its `FaultPlan`, so no model of either exists to drift.

use super::replica::Replica;
use super::world::{SEQUENCER, Truth, World};
use protocol::api::settlement::{Event, EventKind};
use protocol::api::verifier::{ChallengeOutcome, Mode};
use protocol::batch::genesis_tree;
use protocol::codec::Encode;
use protocol::fault::Fault;
use protocol::fraud::{self, BadChunk};
use protocol::primitives::{Address, H256};
use protocol::tree::Tree;
use sequencer::FaultPlan;
use verifier::core::reexec::{self, Recovery};
use verifier::core::{Finding, Follower, OutOfOrder, RestoreError, Snapshot, Submission};
use verifier::store::Store;

const ME: Address = Address([0xaa; 20]);
const OTHER: Address = Address([0xbb; 20]);
const WINDOW_BLOCKS: u64 = 5;

/// A world with three honest batches, followed by a replica in `mode`.
fn warmed_up(seed: u64, mode: Mode) -> (World, Replica) {
    let mut world = World::new(seed, 6, 4, WINDOW_BLOCKS, None);
    let mut replica = Replica::new(&world, mode, ME);
    for _ in 0..3 {
        world.post_txs(24);
        world.mine(1);
    }
    let findings = replica.feed(&world, 7);
    let verified = findings
        .iter()
        .filter(|f| matches!(f, Finding::BatchVerified { .. }))
        .count();
    assert_eq!(verified, world.postings.len(), "{findings:?}");
    assert_eq!(replica.core.verified_root(), world.core.tip().state_root);
    // Every honest batch's post-state passed the named invariants.
    let audit = replica.core.audited();
    assert_eq!(
        audit.passed_batch,
        world.core.tip().next_index.checked_sub(1)
    );
    assert_eq!(audit.violation, None);
    // The books balance after every batch: accounts, pools and fees hold the liabilities.
    let s = replica.core.solvency().expect("solvency figures");
    let held = s.trader_collateral + s.insurance_fund + s.pnl_pools + s.fees;
    assert_eq!(
        (held, s.batch_index),
        (s.liabilities, audit.passed_batch.unwrap_or(0))
    );
    (world, replica)
}

/// Has the sequencer cheat with `fault` from its next batch until the fault bites, then
/// post two descendants; returns the bad batch's index and chunk.
fn cheat(world: &mut World, fault: Fault) -> (u64, u32) {
    let from_batch = world.core.tip().next_index;
    world
        .core
        .set_fault(Some(FaultPlan { fault, from_batch }), false);
    world.prepare(fault);
    for _ in 0..6 {
        let posted = world.post_txs(24);
        world.mine(1);
        if let Some(bad) = posted.iter().find(|p| p.truth == Truth::Bad) {
            let (_, chunk) = bad.fault.expect("a bad batch records its fault");
            while world.core.tip().next_index < bad.batch.header.index + 3 {
                world.post_txs(8);
            }
            return (bad.batch.header.index, chunk);
        }
    }
    panic!("{fault}: the workload never offered anything to corrupt");
}

/// The batch indices the settlement layer reverted, in event order.
fn reverted(world: &World) -> Vec<u64> {
    let events = world.events(0).into_iter().map(|e| e.event);
    events
        .filter_map(|e| match e {
            EventKind::BatchReverted { index, .. } => Some(index),
            _ => None,
        })
        .collect()
}

#[test]
fn every_fault_is_found_at_its_chunk_proven_and_rewound() {
    for (seed, fault) in Fault::ALL.into_iter().enumerate() {
        let (mut world, mut replica) = warmed_up(seed as u64, Mode::Challenge);
        let (bad_index, chunk) = cheat(&mut world, fault);
        // The last honest root: a precondition may need a few postings before the fault
        // bites (a price already signed at that instant), each honest and verified.
        let honest_root = world
            .postings
            .values()
            .find(|p| p.batch.header.index + 1 == bad_index)
            .map(|p| p.batch.header.post_state_root)
            .expect("the bad batch has an honest parent");
        let findings = replica.feed(&world, 3);
        let bad: Vec<_> = findings
            .iter()
            .filter_map(|f| match f {
                Finding::BadBatch { index, chunk, .. } => Some((*index, *chunk)),
                _ => None,
            })
            .collect();
        assert_eq!(bad, vec![(bad_index, chunk)], "{fault}");
        assert_eq!(replica.core.verified_root(), honest_root, "{fault}");
        assert_eq!(replica.core.synced_batch(), Some(bad_index + 2));

        let answers = replica.challenge(&mut world, false);
        let [Submission::Upheld { reward }] = answers[..] else {
            panic!("{fault}: {answers:?}");
        };
        assert_eq!(
            reverted(&world),
            vec![bad_index, bad_index + 1, bad_index + 2]
        );
        let findings = replica.feed(&world, 1);
        let proven = |f: &Finding| matches!(f, Finding::FraudProven { ours: true, .. });
        assert!(findings.iter().any(proven), "{findings:?}");
        assert_eq!(replica.core.synced_batch(), Some(bad_index - 1));
        assert_eq!(replica.core.verified_root(), honest_root);
        let view = replica.core.challenges().next().expect("a record").clone();
        let reward = Some(reward);
        assert_eq!(view.outcome, ChallengeOutcome::Upheld { reward });
        assert!(replica.core.due_challenges().is_empty());

        // The sequencer re-sequences honestly; the replica follows it to finality.
        world.post_txs(10);
        world.mine(WINDOW_BLOCKS + 1);
        replica.feed(&world, 4);
        assert_eq!(replica.core.verified_root(), world.core.tip().state_root);
        assert_eq!(
            replica.core.anchor().index,
            world.core.tip().next_index.checked_sub(1)
        );
        assert_eq!(replica.core.halted(), None);
    }
}

#[test]
fn another_verifiers_proof_is_taken_calmly() {
    let (mut world, mut replica) = warmed_up(7, Mode::Challenge);
    let (bad_index, _) = cheat(&mut world, Fault::WrongRoot);
    replica.feed(&world, 50);
    // Another verifier with the same replica proves it first.
    let mut other = Replica::new(&world, Mode::Challenge, OTHER);
    other.feed(&world, 50);
    let answers = other.challenge(&mut world, false);
    assert!(
        matches!(answers[..], [Submission::Upheld { .. }]),
        "{answers:?}"
    );
    // Our submission, racing it, is told the batch is already reverted …
    let answers = replica.challenge(&mut world, false);
    assert_eq!(answers, vec![Submission::AlreadyReverted]);
    // … and the events then name the winner.
    replica.feed(&world, 50);
    let view = replica.core.challenges().next().expect("a record").clone();
    let by = Some(OTHER);
    assert_eq!(view.outcome, ChallengeOutcome::AlreadyReverted { by });
    assert_eq!(view.batch_index, bad_index);
    assert_eq!(replica.core.synced_batch(), Some(bad_index - 1));
}

#[test]
fn a_watcher_reports_and_halts_when_the_fraud_finalizes() {
    let (mut world, mut replica) = warmed_up(3, Mode::Watch);
    let (bad_index, _) = cheat(&mut world, Fault::Mint);
    replica.feed(&world, 50);
    let due = replica.core.due_challenges();
    assert!(due.is_empty(), "watch mode submits nothing: {due:?}");
    world.mine(4 * WINDOW_BLOCKS);
    let findings = replica.feed(&world, 50);
    let halted =
        |f: &Finding| matches!(f, Finding::Halted { reason } if reason.contains("unchallenged"));
    assert!(findings.iter().any(halted), "{findings:?}");
    assert_eq!(replica.core.anchor().index, Some(bad_index - 1));
    let view = replica.core.challenges().next().expect("a record").clone();
    assert_eq!(view.outcome, ChallengeOutcome::TooLate);
    // A halted replica keeps its cursor moving and restores as halted.
    replica.restart();
    assert!(replica.core.halted().is_some());
    assert_eq!(replica.core.cursor(), world.last_seq());
}

#[test]
fn a_watcher_restarted_as_a_challenger_proves_what_it_saw() {
    let (mut world, mut replica) = warmed_up(5, Mode::Watch);
    let (bad_index, chunk) = cheat(&mut world, Fault::BadFill);
    replica.feed(&world, 2);
    replica.restart_as(Mode::Challenge);
    let due = replica.core.due_challenges();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].batch_index, due[0].proof.chunk), (bad_index, chunk));
    let answers = replica.challenge(&mut world, false);
    assert!(
        matches!(answers[..], [Submission::Upheld { .. }]),
        "{answers:?}"
    );
}

#[test]
fn a_restored_replica_equals_the_original_at_every_event() {
    let (mut world, mut replica) = warmed_up(11, Mode::Challenge);
    cheat(&mut world, Fault::SkipLiquidationCheck);
    world.mine(1);
    while replica.core.cursor() < world.last_seq() {
        replica.apply_unpersisted(&world, 1);
        replica.persist();
        let restored = replica.restored();
        assert_eq!(restored.snapshot(), replica.core.snapshot());
        assert_eq!(restored.verified_root(), replica.core.verified_root());
        assert_eq!(restored.due_challenges(), replica.core.due_challenges());
    }
}

#[test]
fn events_out_of_order_are_refused_without_effect() {
    let (world, mut replica) = warmed_up(2, Mode::Challenge);
    let before = replica.core.snapshot();
    let cursor = replica.core.cursor();
    let late = Event {
        seq: cursor + 2,
        block: world.block,
        timestamp_ms: 0,
        event: EventKind::Minted {
            account: ME,
            amount: 1,
        },
    };
    let (expected, got) = (cursor + 1, cursor + 2);
    assert_eq!(replica.core.apply(&late), Err(OutOfOrder { expected, got }));
    assert_eq!(replica.core.snapshot(), before);
}

#[test]
fn data_that_contradicts_the_replica_halts_it() {
    let (world, mut replica) = warmed_up(4, Mode::Challenge);
    let first = world.postings.values().next().expect("a posting");
    let event = Event {
        seq: replica.core.cursor() + 1,
        block: world.block,
        timestamp_ms: 0,
        event: EventKind::BatchPosted {
            submission_id: 99,
            index: world.core.tip().next_index,
            header_hash: H256([1; 32]),
            poster: SEQUENCER,
            deadline_block: 100,
            data: first.batch.encode(),
        },
    };
    replica.core.apply(&event).expect("in order");
    let findings = replica.persist().findings;
    let halted =
        matches!(&findings[..], [(_, Finding::Halted { reason })] if reason.contains("index"));
    assert!(halted, "{findings:?}");
    assert!(replica.core.due_challenges().is_empty());
}

#[test]
fn a_snapshot_of_another_genesis_or_with_corrupt_leaves_is_refused() {
    let (world, replica) = warmed_up(6, Mode::Challenge);
    let genesis = world.workload.genesis.clone();
    let other = World::new(99, 2, 4, WINDOW_BLOCKS, None).workload.genesis;
    let err = Follower::restore(other, Mode::Watch, None, replica.persisted.clone())
        .expect_err("another genesis");
    assert!(matches!(err, RestoreError::GenesisMismatch { .. }), "{err}");

    let mut corrupt = replica.persisted.clone();
    let key = *corrupt.leaves.keys().next().expect("a leaf");
    corrupt.leaves.insert(key, b"tampered".to_vec());
    let err = Follower::restore(genesis, Mode::Watch, None, corrupt).expect_err("corrupt");
    assert!(matches!(err, RestoreError::AnchorRoot { .. }), "{err}");
}

/// What a re-execution concluded, comparably.
type Summary = (H256, Option<(u32, H256, H256, H256)>);

fn summary(post: &Tree, bad: &Option<BadChunk>) -> Summary {
    let bad = bad
        .as_ref()
        .map(|b| (b.chunk, b.claimed_root, b.computed_root, b.pre_state.root()));
    (post.root(), bad)
}

/// Re-execution with signatures recovered on several threads gives exactly what
/// `fraud::find_first_bad_chunk` gives, honest or not, whatever the worker count.
#[test]
fn parallel_signature_recovery_changes_no_verdict() {
    let (mut bad_batches, mut honest_batches) = (0, 0);
    for seed in 0..10u64 {
        let fault = (seed % 5 < 4).then(|| FaultPlan {
            fault: Fault::ALL[seed as usize % Fault::ALL.len()],
            from_batch: 0,
        });
        let mut world = World::new(100 + seed, 8, 1 + (seed % 4) as u32, WINDOW_BLOCKS, fault);
        let genesis = world.workload.genesis.clone();
        let mut pre = genesis_tree(&genesis);
        for posting in world.post_txs(150) {
            let batch = &posting.batch;
            let (post, bad) =
                fraud::find_first_bad_chunk(&pre, &genesis, batch).expect("full tree");
            for workers in [1, 2, 3] {
                for backend in libsecp_recovery::Backend::ALL {
                    let recovery = Recovery {
                        workers,
                        recover: backend.recover_fn(),
                    };
                    let (p, b) = reexec::find_first_bad_chunk(&pre, &genesis, batch, recovery)
                        .expect("full tree");
                    let context = format!("seed {seed}, {workers} workers, {backend}");
                    assert_eq!(summary(&p, &b), summary(&post, &bad), "{context}");
                }
            }
            match bad {
                Some(_) => bad_batches += 1,
                None => honest_batches += 1,
            }
            pre = post;
        }
    }
    let counts = (bad_batches, honest_batches);
    assert!(
        counts.0 >= 4 && counts.1 >= 2,
        "bad and honest both covered: {counts:?}"
    );
}

/// The SQLite store is the snapshot model on disk: replaying a replica's journal page by
/// page into it (one transaction each) and reopening the database gives exactly the
/// replica's own snapshot, after every page, through a chain with fraud, a proof, reverts,
/// re-sequencing and finalizations.
#[test]
fn replaying_the_journal_into_sqlite_reopens_as_the_replicas_snapshot() {
    let mut world = World::new(41, 5, 2, 4, None);
    let genesis = world.workload.genesis.clone();
    let mut replica = Replica::new(&world, Mode::Challenge, Address([0xab; 20]));
    let mut snapshots = Vec::new();
    let step = |world: &World, replica: &mut Replica, snapshots: &mut Vec<(usize, Snapshot)>| {
        replica.feed(world, 2);
        snapshots.push((replica.pages.len(), replica.core.snapshot()));
    };
    for _ in 0..2 {
        world.post_txs(6);
        world.mine(1);
        step(&world, &mut replica, &mut snapshots);
    }
    let (bad, _) = cheat(&mut world, Fault::Mint);
    step(&world, &mut replica, &mut snapshots);
    replica.challenge(&mut world, false);
    snapshots.push((replica.pages.len(), replica.core.snapshot()));
    step(&world, &mut replica, &mut snapshots);
    world.post_txs(5);
    world.mine(6);
    step(&world, &mut replica, &mut snapshots);
    let anchor = replica.core.anchor().index.expect("finalized");
    assert!(anchor >= bad, "finalized past the revert: {anchor} < {bad}");

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
