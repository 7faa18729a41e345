//! The simulation's auditor: what must hold for any seed. Every bad batch and everything
//! built on it is reverted, no good batch ever is, no proof is upheld against anything but
//! a bad batch, the sequencer is slashed exactly when it cheated, the final chain
//! re-executes honestly from genesis (checked here, independently of the verifiers) to the
//! tip both the settlement layer and the sequencer hold, tokens are conserved on L1, every
//! verifier ends unhalted on that root, and exactly one verifier won each proof.

use super::replica::Replica;
use super::world::{SEQUENCER, Truth, World};
use protocol::api::settlement::{BatchStatus, EventKind};
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
    assert_eq!(
        (tree.root(), world.core.tip().state_root),
        (tip_root, tip_root)
    );
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
