//! Findings: what the core reports about the chain it follows. The shell logs each one as
//! one structured line and stores it; the simulation's auditor reads them.

use protocol::api::audit::InvariantAlert;
use protocol::api::verifier::{ChallengeOutcome, ChallengeView};
use protocol::primitives::{Address, H256};
use serde::Serialize;

/// How loudly a finding is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Expected every batch (verified, finalized): logged at debug, so an idle or healthy
    /// verifier does not write a line per batch; stored like every finding.
    Routine,
    Info,
    Warn,
    Error,
}

/// One observation. JSON: `{"kind": "bad_batch", ...fields}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// Re-executed; every checkpoint matches.
    BatchVerified {
        index: u64,
        submission_id: u64,
        post_state_root: H256,
        txs: u32,
    },
    /// A wrong checkpoint or receipt root: the batch is fraudulent and provable.
    BadBatch {
        index: u64,
        submission_id: u64,
        header_hash: H256,
        poster: Address,
        chunk: u32,
        claimed_root: H256,
        computed_root: H256,
        claimed_receipts_root: H256,
        computed_receipts_root: H256,
        posted_block: u64,
        deadline_block: u64,
    },
    /// The settlement layer upheld a proof against a batch this replica found bad.
    FraudProven {
        index: u64,
        submission_id: u64,
        challenger: Address,
        ours: bool,
    },
    /// The settlement layer upheld a proof against a batch this replica verified as honest:
    /// the replica or the adjudicator is wrong. Never expected.
    HonestBatchChallenged {
        index: u64,
        submission_id: u64,
        challenger: Address,
    },
    /// A batch left the chain; `verdict` is what this replica had found.
    BatchReverted {
        index: u64,
        submission_id: u64,
        verdict: &'static str,
    },
    BatchFinalized {
        index: u64,
        submission_id: u64,
        post_state_root: H256,
    },
    /// The settlement layer answered this verifier's challenge.
    ChallengeAnswered {
        index: u64,
        submission_id: u64,
        attempts: u32,
        outcome: ChallengeOutcome,
    },
    /// An honest batch's post-state breaks a named state invariant: the engine is wrong.
    InvariantViolated(InvariantAlert),
    /// The replica cannot follow any further (a fraudulent batch finalized, or the
    /// settlement layer's data contradicts the replica).
    Halted { reason: String },
}

impl Finding {
    /// The `BadBatch` finding for the batch `challenge` is against (the challenge names
    /// every field the finding reports).
    pub fn bad_batch(challenge: &ChallengeView) -> Finding {
        Finding::BadBatch {
            index: challenge.batch_index,
            submission_id: challenge.submission_id,
            header_hash: challenge.header_hash,
            poster: challenge.poster,
            chunk: challenge.chunk,
            claimed_root: challenge.claimed_root,
            computed_root: challenge.computed_root,
            claimed_receipts_root: challenge.claimed_receipts_root,
            computed_receipts_root: challenge.computed_receipts_root,
            posted_block: challenge.posted_block,
            deadline_block: challenge.deadline_block,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Finding::BatchVerified { .. } => "batch_verified",
            Finding::BadBatch { .. } => "bad_batch",
            Finding::FraudProven { .. } => "fraud_proven",
            Finding::HonestBatchChallenged { .. } => "honest_batch_challenged",
            Finding::BatchReverted { .. } => "batch_reverted",
            Finding::BatchFinalized { .. } => "batch_finalized",
            Finding::ChallengeAnswered { .. } => "challenge_answered",
            Finding::InvariantViolated(_) => "invariant_violated",
            Finding::Halted { .. } => "halted",
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            Finding::BatchVerified { .. } | Finding::BatchFinalized { .. } => Severity::Routine,
            Finding::FraudProven { .. } => Severity::Info,
            Finding::BatchReverted { verdict, .. } => match *verdict {
                "honest" => Severity::Error,
                _ => Severity::Info,
            },
            Finding::ChallengeAnswered { outcome, .. } => match outcome {
                // Losing the race to another verifier is the normal case with many verifiers.
                ChallengeOutcome::Upheld { .. } | ChallengeOutcome::AlreadyReverted { .. } => {
                    Severity::Info
                }
                ChallengeOutcome::Unsubmitted { .. } => Severity::Warn,
                ChallengeOutcome::TooLate | ChallengeOutcome::Rejected { .. } => Severity::Error,
            },
            Finding::BadBatch { .. } => Severity::Warn,
            Finding::HonestBatchChallenged { .. }
            | Finding::InvariantViolated(_)
            | Finding::Halted { .. } => Severity::Error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Per-batch findings are routine (debug lines); a bad batch is a warning.
    #[test]
    fn per_batch_findings_are_routine() {
        let verified = Finding::BatchVerified {
            index: 1,
            submission_id: 1,
            post_state_root: H256::ZERO,
            txs: 4,
        };
        let finalized = Finding::BatchFinalized {
            index: 1,
            submission_id: 1,
            post_state_root: H256::ZERO,
        };
        assert_eq!(verified.severity(), Severity::Routine);
        assert_eq!(finalized.severity(), Severity::Routine);
        assert!(Severity::Routine < Severity::Info);
    }
}
