//! The verifier's invariant audit: every named state invariant
//! (`protocol::engine::invariants`, PROTOCOL.md Part 4 §15) is checked on the post-state of
//! every batch re-execution found honest. An honest batch that breaks one means the engine
//! itself is wrong (the sequencer, the adjudicator and every verifier run the same rules),
//! so it is raised as an alert (a finding at error level, `/v1/status` `audit.violation`,
//! `/metrics`); the verifier keeps following, since its verdicts are still what the
//! adjudicator would rule. The audit is recomputed on restore from the rebuilt states, so
//! an alert outlives a restart. The same pass publishes the batch's solvency figures
//! (`protocol::engine::solvency`).

use super::Follower;
use super::finding::Finding;
use protocol::api::audit::InvariantAlert;
use protocol::engine::invariants::check_invariants;
use protocol::engine::solvency::solvency;
use protocol::tree::Tree;

impl Follower {
    /// Audits the state after honest batch `index`; the finding to report, if it failed.
    pub(super) fn audit(&mut self, index: u64, post: &Tree) -> Option<Finding> {
        match check_invariants(&self.genesis, post.iter()) {
            Ok(()) => {
                self.audit.passed_batch = Some(index);
                // Every leaf decoded for the invariants, so this cannot fail here.
                self.solvency = solvency(index, post.iter()).ok();
                None
            }
            Err(violation) => {
                let alert = InvariantAlert {
                    batch_index: index,
                    invariant: violation.invariant.to_string(),
                    detail: violation.detail,
                };
                self.audit.violation.get_or_insert_with(|| alert.clone());
                Some(Finding::InvariantViolated(alert))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Snapshot;
    use protocol::api::verifier::Mode;
    use protocol::batch::genesis_tree;
    use protocol::engine::keys::KIND_ACCOUNT;
    use protocol::primitives::H256;
    use protocol::state::State;

    #[test]
    fn a_state_that_breaks_an_invariant_is_alerted_once_and_a_sound_one_passes() {
        let genesis = protocol::workload::Workload::new(1, 2).genesis;
        let snapshot = Snapshot::at_genesis(&genesis);
        let mut core = Follower::restore(genesis.clone(), Mode::Watch, None, snapshot)
            .expect("a genesis snapshot restores");
        let sound = genesis_tree(&genesis);
        assert_eq!(core.audit(0, &sound), None);
        assert_eq!(core.audited().passed_batch, Some(0));

        let mut broken = sound.clone();
        let mut key = [0x42; 32];
        key[0] = KIND_ACCOUNT;
        broken
            .set(&H256(key), b"not an account".to_vec())
            .expect("set");
        let finding = core.audit(1, &broken).expect("an alert");
        let Finding::InvariantViolated(alert) = &finding else {
            panic!("{finding:?}");
        };
        assert_eq!(
            (alert.batch_index, alert.invariant.as_str()),
            (1, "well-formed-leaves")
        );
        assert_eq!(finding.severity(), crate::core::finding::Severity::Error);
        core.audit(2, &broken);
        assert_eq!(
            core.audited().violation.as_ref(),
            Some(alert),
            "the first one stays"
        );
        assert_eq!(core.audited().passed_batch, Some(0));
    }
}
