//! The pure core, driven by the settlement model without HTTP: it verifies honest batches,
//! finds each kind of fault at the injected chunk and proves it, rewinds after a revert
//! (its own proof or another verifier's), halts when fraud finalizes, refuses events out of
//! order, and resumes from its persisted form to the same replica and the same proofs.

use crate::support::ledger::Ruling;
use crate::support::world::{Replica, SEQUENCER, World};
use protocol::api::settlement::{Event, EventKind};
use protocol::api::verifier::{ChallengeOutcome, Mode};
use protocol::codec::Encode;
use protocol::fault::Fault;
use protocol::primitives::{Address, H256};
use verifier::core::{Finding, Follower, OutOfOrder, RestoreError};

const ME: Address = Address([0xaa; 20]);
const OTHER: Address = Address([0xbb; 20]);

/// A world with three honest batches, followed by a replica in `mode`.
fn warmed_up(seed: u64, mode: Mode) -> (World, Replica) {
    let mut world = World::new(seed, 6, 4, 5);
    let mut replica = Replica::new(&world, mode, ME);
    for _ in 0..3 {
        world.post_next(24, None);
        world.ledger.mine(1);
    }
    let findings = replica.feed(&world.ledger, 7);
    let verified = findings
        .iter()
        .filter(|f| matches!(f, Finding::BatchVerified { .. }))
        .count();
    assert_eq!(verified, 3, "{findings:?}");
    assert_eq!(replica.core.verified_root(), world.seq.root());
    (world, replica)
}

/// Posts a batch with `fault` (retrying on later batches until the fault bites) and two
/// descendants; returns the bad batch's index and chunk.
fn cheat(world: &mut World, fault: Fault) -> (u64, u32) {
    for _ in 0..6 {
        let sealed = world.post_next(24, Some(fault));
        world.ledger.mine(1);
        if let Some(chunk) = sealed.fault_chunk {
            for _ in 0..2 {
                world.post_next(8, None);
            }
            return (sealed.batch.header.index, chunk);
        }
    }
    panic!("{fault}: the workload never offered anything to corrupt");
}

#[test]
fn every_fault_is_found_at_its_chunk_proven_and_rewound() {
    for (seed, fault) in Fault::ALL.into_iter().enumerate() {
        let (mut world, mut replica) = warmed_up(seed as u64, Mode::Challenge);
        let honest_root = world.seq.root();
        let (bad_index, chunk) = cheat(&mut world, fault);
        let findings = replica.feed(&world.ledger, 3);
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

        let rulings = replica.challenge(&mut world.ledger, false);
        let Some(Ruling::Upheld { reward, reverted }) = rulings.first().cloned() else {
            panic!("{fault}: {rulings:?}");
        };
        assert_eq!(reverted, vec![bad_index, bad_index + 1, bad_index + 2]);
        let findings = replica.feed(&world.ledger, 1);
        assert!(
            findings
                .iter()
                .any(|f| matches!(f, Finding::FraudProven { ours: true, .. })),
            "{findings:?}"
        );
        assert_eq!(replica.core.synced_batch(), Some(bad_index - 1));
        assert_eq!(replica.core.verified_root(), honest_root);
        let view = replica.core.challenges().next().expect("a record").clone();
        assert_eq!(
            view.outcome,
            ChallengeOutcome::Upheld {
                reward: Some(reward)
            }
        );
        assert!(replica.core.due_challenges().is_empty());

        // The sequencer re-sequences honestly; the replica follows it to the end.
        world.seq.rewind(bad_index);
        world.ledger.bond(SEQUENCER, 1_000);
        world.post_next(10, None);
        world.ledger.mine(6);
        replica.feed(&world.ledger, 4);
        assert_eq!(replica.core.verified_root(), world.seq.root());
        assert_eq!(replica.core.anchor().index, Some(bad_index));
        assert_eq!(replica.core.halted(), None);
    }
}

#[test]
fn another_verifiers_proof_is_taken_calmly() {
    let (mut world, mut replica) = warmed_up(7, Mode::Challenge);
    let (bad_index, _) = cheat(&mut world, Fault::WrongRoot);
    replica.feed(&world.ledger, 50);
    // Another verifier with the same replica proves it first.
    let mut other = Replica::new(&world, Mode::Challenge, OTHER);
    other.feed(&world.ledger, 50);
    assert!(matches!(
        other.challenge(&mut world.ledger, false)[..],
        [Ruling::Upheld { .. }]
    ));
    // Our submission, racing it, is told the batch is already reverted …
    assert_eq!(
        replica.challenge(&mut world.ledger, false),
        vec![Ruling::AlreadyReverted]
    );
    // … and the events then name the winner.
    replica.feed(&world.ledger, 50);
    let view = replica.core.challenges().next().expect("a record").clone();
    assert_eq!(
        view.outcome,
        ChallengeOutcome::AlreadyReverted { by: Some(OTHER) }
    );
    assert_eq!(view.batch_index, bad_index);
    assert_eq!(replica.core.synced_batch(), Some(bad_index - 1));
}

#[test]
fn a_watcher_reports_and_halts_when_the_fraud_finalizes() {
    let (mut world, mut replica) = warmed_up(3, Mode::Watch);
    let (bad_index, _) = cheat(&mut world, Fault::Mint);
    replica.feed(&world.ledger, 50);
    assert!(
        replica.core.due_challenges().is_empty(),
        "watch mode submits nothing"
    );
    world.ledger.mine(20);
    let findings = replica.feed(&world.ledger, 50);
    assert!(
        findings
            .iter()
            .any(|f| matches!(f, Finding::Halted { reason } if reason.contains("unchallenged"))),
        "{findings:?}"
    );
    assert_eq!(replica.core.anchor().index, Some(bad_index - 1));
    let view = replica.core.challenges().next().expect("a record").clone();
    assert_eq!(view.outcome, ChallengeOutcome::TooLate);
    // A halted replica keeps its cursor moving and restores as halted.
    replica.restart();
    assert!(replica.core.halted().is_some());
    assert_eq!(replica.core.cursor(), world.ledger.events.len() as u64);
}

#[test]
fn a_watcher_restarted_as_a_challenger_proves_what_it_saw() {
    let (mut world, mut replica) = warmed_up(5, Mode::Watch);
    let (bad_index, chunk) = cheat(&mut world, Fault::BadFill);
    replica.feed(&world.ledger, 2);
    replica.restart_as(Mode::Challenge);
    let due = replica.core.due_challenges();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].batch_index, due[0].proof.chunk), (bad_index, chunk));
    assert!(matches!(
        replica.challenge(&mut world.ledger, false)[..],
        [Ruling::Upheld { .. }]
    ));
}

#[test]
fn a_restored_replica_equals_the_original_at_every_event() {
    let (mut world, mut replica) = warmed_up(11, Mode::Challenge);
    cheat(&mut world, Fault::SkipLiquidationCheck);
    world.ledger.mine(1);
    let total = world.ledger.events.len();
    while (replica.core.cursor() as usize) < total {
        replica.feed_one(&world.ledger);
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
        block: world.ledger.block,
        timestamp_ms: 0,
        event: EventKind::Minted {
            account: ME,
            amount: 1,
        },
    };
    assert_eq!(
        replica.core.apply(&late),
        Err(OutOfOrder {
            expected: cursor + 1,
            got: cursor + 2
        })
    );
    assert_eq!(replica.core.snapshot(), before);
}

#[test]
fn data_that_contradicts_the_replica_halts_it() {
    let (world, mut replica) = warmed_up(4, Mode::Challenge);
    let next = replica.core.cursor() + 1;
    let posted = |header_hash: H256| Event {
        seq: next,
        block: world.ledger.block,
        timestamp_ms: 0,
        event: EventKind::BatchPosted {
            submission_id: 99,
            index: 3,
            header_hash,
            poster: SEQUENCER,
            deadline_block: 100,
            data: world.ledger.postings[0].batch.encode(),
        },
    };
    replica
        .core
        .apply(&posted(H256([1; 32])))
        .expect("in order");
    let findings = replica.persist().findings;
    assert!(
        matches!(&findings[..], [(_, Finding::Halted { reason })] if reason.contains("index")),
        "{findings:?}"
    );
    assert!(replica.core.due_challenges().is_empty());
}

#[test]
fn a_snapshot_of_another_genesis_or_with_corrupt_leaves_is_refused() {
    let (world, replica) = warmed_up(6, Mode::Challenge);
    let genesis = world.workload.genesis.clone();
    let other = World::new(99, 2, 4, 5).workload.genesis;
    let err = Follower::restore(other, Mode::Watch, None, replica.persisted.clone())
        .expect_err("another genesis");
    assert!(matches!(err, RestoreError::GenesisMismatch { .. }), "{err}");

    let mut corrupt = replica.persisted.clone();
    let key = *corrupt.leaves.keys().next().expect("a leaf");
    corrupt.leaves.insert(key, b"tampered".to_vec());
    let err = Follower::restore(genesis, Mode::Watch, None, corrupt).expect_err("corrupt");
    assert!(matches!(err, RestoreError::AnchorRoot { .. }), "{err}");
}

/// Re-execution with signatures recovered on several threads gives exactly what
/// `fraud::find_first_bad_chunk` gives, honest or not, whatever the worker count.
#[test]
fn parallel_signature_recovery_changes_no_verdict() {
    let mut verdicts = (0, 0);
    for seed in 0..10u64 {
        let mut world = World::new(100 + seed, 8, 1 + (seed % 4) as u32, 5);
        let pre = world.seq.tip().state.clone();
        let fault = (seed % 5 < 4).then(|| Fault::ALL[seed as usize % Fault::ALL.len()]);
        let txs = world.next_txs(150);
        let batch = world.seq.seal(txs, world.ledger.now_ms(), fault).batch;
        let genesis = &world.workload.genesis;
        let (post, bad) =
            protocol::fraud::find_first_bad_chunk(&pre, genesis, &batch).expect("full tree");
        let summary = |post: &protocol::tree::Tree, bad: &Option<protocol::fraud::BadChunk>| {
            (
                post.root(),
                bad.as_ref()
                    .map(|b| (b.chunk, b.claimed_root, b.computed_root, b.pre_state.root())),
            )
        };
        for workers in [1, 2, 3] {
            for backend in libsecp_recovery::Backend::ALL {
                let recovery = verifier::core::reexec::Recovery {
                    workers,
                    recover: backend.recover_fn(),
                };
                let (p, b) =
                    verifier::core::reexec::find_first_bad_chunk(&pre, genesis, &batch, recovery)
                        .expect("full tree");
                assert_eq!(
                    summary(&p, &b),
                    summary(&post, &bad),
                    "seed {seed}, {workers} workers, {backend}"
                );
            }
        }
        if bad.is_some() {
            verdicts.0 += 1;
        } else {
            verdicts.1 += 1;
        }
    }
    assert!(
        verdicts.0 >= 4 && verdicts.1 >= 2,
        "bad and honest both covered: {verdicts:?}"
    );
}
