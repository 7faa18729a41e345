//! Challenges as data: the action the core asks the shell to perform (submit this proof),
//! the answer the shell reports back, and how answers and settlement events move a
//! challenge record (`ChallengeView`) to its outcome.
//!
//! Two sources tell the same story and may arrive in either order: the HTTP answer to our
//! own submission, and the `challenge_upheld` / `batch_reverted` / `slashed` events. The
//! rules below make the record converge whatever the order (and after a restart that
//! replays a submission whose answer was lost): the event naming the winner is the truth.

use protocol::api::verifier::{ChallengeOutcome, ChallengeView};
use protocol::fraud::FraudProof;
use protocol::primitives::{Address, H256};

/// "Submit this proof": the only action the core emits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeAction {
    pub submission_id: u64,
    pub batch_index: u64,
    /// Sent along so the settlement layer judges exactly the batch we re-executed.
    pub header_hash: H256,
    pub posted_block: u64,
    pub deadline_block: u64,
    pub proof: FraudProof,
}

/// The settlement layer's answer to a submission, as the shell classified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    Upheld {
        reward: u64,
    },
    /// Someone else's proof got there first (or ours did, and its answer was lost).
    AlreadyReverted,
    /// The window closed first.
    TooLate,
    Rejected {
        reason: String,
    },
    /// Transport failure, 5xx, missing bond…: try again later.
    Failed {
        error: String,
    },
}

/// Applies our submission's answer. Returns whether the record changed.
pub fn on_answer(view: &mut ChallengeView, head_block: Option<u64>, answer: Submission) -> bool {
    view.attempts = view.attempts.saturating_add(1);
    if head_block.is_some() {
        view.submitted_block = head_block;
    }
    let next = match (answer, &view.outcome) {
        (Submission::Upheld { reward }, _) => ChallengeOutcome::Upheld {
            reward: Some(reward),
        },
        // An event already said who won; a late "already reverted" adds nothing.
        (Submission::AlreadyReverted, outcome) if outcome.is_final() => outcome.clone(),
        (Submission::AlreadyReverted, _) => ChallengeOutcome::AlreadyReverted { by: None },
        (Submission::TooLate, outcome) if outcome.is_final() => outcome.clone(),
        (Submission::TooLate, _) => ChallengeOutcome::TooLate,
        (Submission::Rejected { reason }, _) => ChallengeOutcome::Rejected { reason },
        (Submission::Failed { .. }, outcome) if outcome.is_final() => outcome.clone(),
        (Submission::Failed { error }, _) => ChallengeOutcome::Unsubmitted {
            last_error: Some(error),
        },
    };
    view.outcome = next;
    true
}

/// A `challenge_upheld` event against this record's batch, won by `challenger`.
pub fn on_upheld(view: &mut ChallengeView, challenger: Address, me: Option<Address>) -> bool {
    let next = if Some(challenger) == me {
        match view.outcome {
            ChallengeOutcome::Upheld { reward } => ChallengeOutcome::Upheld { reward },
            _ => ChallengeOutcome::Upheld { reward: None },
        }
    } else {
        ChallengeOutcome::AlreadyReverted {
            by: Some(challenger),
        }
    };
    replace(view, next)
}

/// The batch was reverted: an unfinished challenge has nothing left to prove.
pub fn on_reverted(view: &mut ChallengeView) -> bool {
    if view.outcome.is_final() {
        return false;
    }
    replace(view, ChallengeOutcome::AlreadyReverted { by: None })
}

/// The batch finalized: an unfinished challenge came too late.
pub fn on_finalized(view: &mut ChallengeView) -> bool {
    if view.outcome.is_final() {
        return false;
    }
    replace(view, ChallengeOutcome::TooLate)
}

/// A `slashed` event paying us `reward`: fills in the reward of our upheld challenge.
pub fn on_reward(view: &mut ChallengeView, reward: u64) -> bool {
    match view.outcome {
        ChallengeOutcome::Upheld { reward: None } => replace(
            view,
            ChallengeOutcome::Upheld {
                reward: Some(reward),
            },
        ),
        _ => false,
    }
}

fn replace(view: &mut ChallengeView, next: ChallengeOutcome) -> bool {
    if view.outcome == next {
        return false;
    }
    view.outcome = next;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> ChallengeView {
        ChallengeView {
            batch_index: 3,
            submission_id: 7,
            header_hash: H256([1; 32]),
            poster: Address([2; 20]),
            chunk: 0,
            claimed_root: H256([3; 32]),
            computed_root: H256([4; 32]),
            claimed_receipts_root: H256([5; 32]),
            computed_receipts_root: H256([5; 32]),
            proof: None,
            posted_block: 10,
            deadline_block: 15,
            attempts: 0,
            submitted_block: None,
            outcome: ChallengeOutcome::Unsubmitted { last_error: None },
        }
    }

    const ME: Address = Address([9; 20]);
    const OTHER: Address = Address([8; 20]);

    enum Step {
        Answer(Submission),
        Upheld(Address),
        Reverted,
        Reward(u64),
    }

    /// Applies `steps` in order to a fresh record and checks the final outcome.
    fn check(steps: Vec<Step>, expect: ChallengeOutcome) {
        let mut v = view();
        for step in steps {
            match step {
                Step::Answer(a) => on_answer(&mut v, Some(12), a),
                Step::Upheld(who) => on_upheld(&mut v, who, Some(ME)),
                Step::Reverted => on_reverted(&mut v),
                Step::Reward(r) => on_reward(&mut v, r),
            };
        }
        assert_eq!(v.outcome, expect);
    }

    #[test]
    fn answers_and_events_converge_in_any_order() {
        use ChallengeOutcome as O;
        use Step::*;
        let upheld = |r| O::Upheld { reward: Some(r) };
        // We win: answer first, or events first, or the answer lost and replayed.
        check(
            vec![
                Answer(Submission::Upheld { reward: 5 }),
                Upheld(ME),
                Reverted,
                Reward(5),
            ],
            upheld(5),
        );
        check(
            vec![
                Upheld(ME),
                Reverted,
                Reward(5),
                Answer(Submission::AlreadyReverted),
            ],
            upheld(5),
        );
        check(
            vec![Answer(Submission::AlreadyReverted), Upheld(ME), Reward(5)],
            upheld(5),
        );
        // Another verifier wins, before or after our submission.
        let lost = O::AlreadyReverted { by: Some(OTHER) };
        check(vec![Upheld(OTHER), Reverted], lost.clone());
        check(
            vec![Answer(Submission::AlreadyReverted), Upheld(OTHER), Reverted],
            lost.clone(),
        );
        check(vec![Upheld(OTHER), Reward(5)], lost);
        // Transient failures keep the challenge due; a later final answer wins.
        check(
            vec![Answer(Submission::Failed {
                error: "503".into(),
            })],
            O::Unsubmitted {
                last_error: Some("503".into()),
            },
        );
        check(
            vec![
                Answer(Submission::Failed { error: "x".into() }),
                Answer(Submission::TooLate),
            ],
            O::TooLate,
        );
    }

    #[test]
    fn answers_count_attempts_and_note_the_block() {
        let mut v = view();
        on_answer(&mut v, Some(11), Submission::Failed { error: "x".into() });
        on_answer(&mut v, Some(12), Submission::Upheld { reward: 1 });
        assert_eq!((v.attempts, v.submitted_block), (2, Some(12)));
    }
}
