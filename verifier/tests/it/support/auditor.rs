//! The simulation's auditor: what must hold for any seed. Every bad batch and everything
//! built on it is reverted, no good batch ever is, no proof is upheld against anything but
//! a bad batch, the sequencer is slashed exactly when it cheated, the final chain
//! re-executes honestly from genesis (checked here, independently of the verifiers), every
//! verifier ends unhalted on its root, and exactly one verifier won each proof.

use super::ledger::Status;
use super::sequencing::Truth;
use super::world::{Replica, SEQUENCER, World};
use protocol::api::settlement::EventKind;
use protocol::api::verifier::ChallengeOutcome;
use protocol::batch::genesis_tree;
use protocol::fraud;

/// No upheld proof ever targets a batch that is not bad by construction.
pub fn audit_rulings(world: &World) {
    for e in &world.ledger.events {
        if let EventKind::ChallengeUpheld { submission_id, .. } = e.event {
            let posting = &world.ledger.postings[submission_id as usize - 1];
            let truth = world.seq.truth[&posting.batch.header.hash()];
            assert_eq!(
                truth,
                Truth::Bad,
                "a proof was upheld against a {truth:?} batch"
            );
        }
    }
}

pub fn audit_end(world: &World, replicas: &[&Replica], cheated: bool, context: &str) {
    let ledger = &world.ledger;
    for p in &ledger.postings {
        let truth = world.seq.truth[&p.batch.header.hash()];
        let expect = match truth {
            Truth::Honest => Status::Finalized,
            Truth::Bad | Truth::OnBad => Status::Reverted,
        };
        assert_eq!(
            p.status, expect,
            "batch {} ({truth:?}): {context}",
            p.batch.header.index
        );
    }
    let slashes = ledger
        .events
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
    let mut tree = genesis_tree(&world.workload.genesis);
    for &p in &ledger.live {
        let batch = &ledger.postings[p].batch;
        let (post, bad) =
            fraud::find_first_bad_chunk(&tree, &world.workload.genesis, batch).expect("full tree");
        assert!(bad.is_none(), "final batch {} is bad", batch.header.index);
        tree = post;
    }
    let (tip_index, _, tip_root, _) = ledger.tip();
    assert_eq!((tree.root(), world.seq.root()), (tip_root, tip_root));

    let mut upheld = 0;
    for replica in replicas {
        let core = &replica.core;
        assert_eq!(core.halted(), None);
        assert_eq!(
            (core.verified_root(), core.anchor().index),
            (tip_root, tip_index)
        );
        for c in core.challenges() {
            let posting = &ledger.postings[c.submission_id as usize - 1];
            assert_eq!(world.seq.truth[&posting.batch.header.hash()], Truth::Bad);
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
    let unanswered = ledger.events.iter().any(|e| {
        matches!(&e.event, EventKind::ChallengeUpheld { challenger, .. }
            if !replicas.iter().any(|r| r.me == *challenger))
    });
    assert!(!unanswered);
}
