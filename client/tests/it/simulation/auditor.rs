//! The simulation's auditor: what must hold for any seed. Every bad batch and everything
//! built on it is reverted, no good batch ever is, no proof is upheld against anything but
//! a bad batch, the sequencer is slashed exactly when it cheated, the final chain
//! re-executes honestly from genesis (checked here, independently of the verifiers) to the
//! tip both the settlement layer and the sequencer hold, tokens are conserved on L1, every
//! verifier ends unhalted on that root, and exactly one verifier won each proof. And the
//! exit promise: every forced message is executed (consumed by a live batch), or the
//! rollup froze exactly at the documented block, and then every account was paid exactly
//! what it was owed, with L1 supply conserved.

use super::replica::Replica;
use super::world::{SEQUENCER, Truth, World};
use contracts_mock::config::short_exit::{FORCE_INCLUSION_DEADLINE_BLOCKS, FREEZE_DELAY_BLOCKS};
use protocol::api::settlement::{BatchStatus, EventKind, ExitPhase};
use protocol::api::verifier::ChallengeOutcome;
use protocol::batch::genesis_tree;
use protocol::fraud;

/// No upheld proof ever targets a batch that is not bad by construction (events after
/// `seen`, which moves to the end).
pub fn audit_rulings(world: &World, seen: &mut u64) {
    for e in world.events(*seen) {
        *seen = e.seq;
        if let EventKind::ChallengeUpheld { submission_id, .. } = e.event {
            let truth = world.postings[&submission_id].truth;
            assert_eq!(
                truth,
                Truth::Bad,
                "a proof was upheld against a {truth:?} batch"
            );
        }
    }
}

pub fn audit_end(world: &World, replicas: &[&Replica], cheated: bool, context: &str) {
    let mut live = Vec::new();
    for (&id, posting) in &world.postings {
        let view = world.ledger.submission(id).expect("read").expect("posted");
        let index = posting.batch.header.index;
        match (posting.truth, view.status) {
            (Truth::Honest, BatchStatus::Finalized { .. }) => live.push((index, posting)),
            (Truth::Bad | Truth::OnBad, BatchStatus::Reverted { .. }) => {}
            (truth, status) => panic!("batch {index} ({truth:?}) ended {status:?}: {context}"),
        }
    }
    live.sort_by_key(|(index, _)| *index);
    let events = world.events(0);
    let slashes = events
        .iter()
        .filter(
            |e| matches!(e.event, EventKind::Slashed { sequencer, .. } if sequencer == SEQUENCER),
        )
        .count();
    assert_eq!(
        slashes,
        usize::from(cheated),
        "slashed exactly when it cheated"
    );

    // The auditor re-executes the final chain on its own: every checkpoint honest.
    let genesis = &world.workload.genesis;
    let mut tree = genesis_tree(genesis);
    for (n, (index, posting)) in live.iter().enumerate() {
        assert_eq!(*index, n as u64, "the final chain has no gap");
        let (post, bad) =
            fraud::find_first_bad_chunk(&tree, genesis, &posting.batch).expect("full tree");
        assert!(bad.is_none(), "final batch {index} is bad");
        tree = post;
    }
    let status = world.ledger.status().expect("status");
    let (tip_index, tip_root) = (status.tip.index, status.tip.state_root);
    assert_eq!(tree.root(), tip_root);
    if !world.stopped {
        assert_eq!(
            world.core.tip().state_root,
            tip_root,
            "the sequencer is on the tip"
        );
    }
    assert!(status.supply.conserved, "{:?}", status.supply);
    audit_replicas(world, replicas, cheated, (tip_index, tip_root));
    let unanswered = events.iter().any(|e| {
        matches!(&e.event, EventKind::ChallengeUpheld { challenger, .. }
            if !replicas.iter().any(|r| r.me == *challenger))
    });
    assert!(!unanswered);
}

fn audit_replicas(
    world: &World,
    replicas: &[&Replica],
    cheated: bool,
    (tip_index, tip_root): (Option<u64>, protocol::primitives::H256),
) {
    let mut upheld = 0;
    for replica in replicas {
        let core = &replica.core;
        assert_eq!(core.halted(), None);
        assert_eq!(
            (core.verified_root(), core.anchor().index),
            (tip_root, tip_index)
        );
        for c in core.challenges() {
            assert_eq!(world.postings[&c.submission_id].truth, Truth::Bad);
            match c.outcome {
                ChallengeOutcome::Upheld { reward } => {
                    assert_eq!(reward, Some(500));
                    upheld += 1;
                }
                ChallengeOutcome::AlreadyReverted { .. } => {}
                ref other => panic!("challenge ended {other:?}"),
            }
        }
        assert_eq!(core.challenges().count(), usize::from(cheated));
    }
    assert_eq!(upheld, usize::from(cheated), "exactly one verifier won");
}

/// Every forced message executed, or the rollup frozen in block `max(e + D, c) + F + 1` for
/// the oldest unconsumed message (enqueued at e; c the last block a batch was posted or
/// reverted in before the freeze) and then paid out. Returns (forced executed, frozen).
pub fn audit_forced(world: &World, context: &str) -> (u64, bool) {
    let queue = world.ledger.queue(0, 1_000).expect("queue");
    let executed = world
        .forced
        .iter()
        .filter(|f| queue.messages[f.queue_index as usize].consumed_by.is_some())
        .count() as u64;
    let exit = world.ledger.exit().expect("exit");
    let Some(frozen_block) = exit.frozen_block else {
        assert_eq!(exit.phase, ExitPhase::Live);
        assert_eq!(
            queue.next_unconsumed, queue.length,
            "live, nothing left unconsumed: {context}"
        );
        return (executed, false);
    };
    let events = world.events(0);
    let freeze = events
        .iter()
        .position(|e| matches!(e.event, EventKind::RollupFrozen { .. }))
        .expect("a freeze event");
    let last_change = events[..freeze]
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                EventKind::BatchPosted { .. } | EventKind::BatchReverted { .. }
            )
        })
        .map(|e| e.block)
        .max()
        .unwrap_or(0);
    let overdue = exit.overdue_queue_index.expect("overdue message");
    let enqueued = queue.messages[overdue as usize].enqueued_block;
    let due =
        (enqueued + FORCE_INCLUSION_DEADLINE_BLOCKS).max(last_change) + FREEZE_DELAY_BLOCKS + 1;
    assert_eq!(
        frozen_block, due,
        "froze at the documented block: {context}"
    );
    assert_eq!(exit.phase, ExitPhase::Paid, "{exit:?}: {context}");
    let (n, d) = (
        exit.payout_numerator.expect("ratio"),
        exit.payout_denominator.expect("ratio"),
    );
    for (address, owed, before) in &world.exits {
        let paid = u64::try_from(u128::from(*owed) * u128::from(n) / u128::from(d)).expect("fits");
        let after = world.ledger.account(address).expect("account").balance;
        assert_eq!(
            after,
            before + paid,
            "{address} paid what it was owed: {context}"
        );
    }
    assert_eq!(
        world.exits.len(),
        world.workload.traders.len(),
        "every trader claimed"
    );
    (executed, true)
}
