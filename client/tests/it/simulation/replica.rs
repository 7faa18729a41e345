//! A verifier: the real core (`verifier::core::Follower`) with its persisted form, driven
//! the way the verifier's shell drives it: apply a page of the settlement layer's events,
//! persist the journal (checked against `Follower::snapshot()` after every page), submit
//! due proofs to the settlement layer and record the answers as the shell classifies them
//! (`verifier::submit::classify`).

use super::world::World;
use contracts_mock::ApiError;
use protocol::api::settlement::ChallengeCall;
use protocol::api::verifier::Mode;
use protocol::primitives::Address;
use service_client::ServiceError;
use verifier::core::{Finding, Follower, Outputs, Snapshot, StoreOp, Submission};
use verifier::submit::classify;

#[derive(Debug)]
pub struct Replica {
    pub core: Follower,
    pub persisted: Snapshot,
    pub me: Address,
    /// Every persisted page's journal, in order (for replaying into the SQLite store).
    pub pages: Vec<Vec<StoreOp>>,
}

/// A refusal as the verifier's HTTP client would have received it.
fn as_received(e: ApiError) -> ServiceError {
    ServiceError::Api {
        service: "settlement layer",
        what: "POST /v1/challenges".into(),
        status: e.status.as_u16(),
        code: e.code.to_string(),
        message: e.message,
        details: e.details,
    }
}

impl Replica {
    pub fn new(world: &World, mode: Mode, me: Address) -> Replica {
        let genesis = world.workload.genesis.clone();
        let persisted = Snapshot::at_genesis(&genesis);
        let core = Follower::restore(genesis, mode, Some(me), persisted.clone())
            .expect("a genesis snapshot restores");
        Replica {
            core,
            persisted,
            me,
            pages: Vec::new(),
        }
    }

    /// Applies up to `n` events as one page and persists them.
    pub fn feed_page(&mut self, world: &World, n: usize) {
        self.apply_unpersisted(world, n);
        self.persist();
    }

    /// Applies the next `n` events without persisting them (lost if we crash now).
    pub fn apply_unpersisted(&mut self, world: &World, n: usize) {
        for event in world.page(self.core.cursor(), n) {
            self.core.apply(&event).expect("events in order");
        }
    }

    /// Applies every event after the cursor, `page` at a time, persisting after each
    /// page; returns the findings.
    pub fn feed(&mut self, world: &World, page: usize) -> Vec<Finding> {
        let mut findings = Vec::new();
        while self.core.cursor() < world.last_seq() {
            self.apply_unpersisted(world, page.max(1));
            findings.extend(self.persist().findings.into_iter().map(|(_, f)| f));
        }
        findings
    }

    /// Commits the journal to the persisted form; it must equal the core's own snapshot.
    pub fn persist(&mut self) -> Outputs {
        let out = self.core.take_outputs();
        for op in &out.journal {
            self.persisted.apply(op);
        }
        self.pages.push(out.journal.clone());
        assert_eq!(
            self.persisted,
            self.core.snapshot(),
            "the journal must keep the persisted form equal to the replica"
        );
        out
    }

    /// Submits every due proof and records the answers (persisted unless `lose_answers`,
    /// which models a crash between the submission and its record). Returns the answers.
    pub fn challenge(&mut self, world: &mut World, lose_answers: bool) -> Vec<Submission> {
        let mut answers = Vec::new();
        for action in self.core.due_challenges() {
            let call = ChallengeCall {
                proof: action.proof.clone(),
                header_hash: Some(action.header_hash),
            };
            let answer = classify(world.ledger.challenge(&self.me, &call).map_err(as_received));
            answers.push(answer.clone());
            self.core
                .record_answer(action.submission_id, Some(world.block), answer);
        }
        if !lose_answers {
            self.persist();
        }
        answers
    }

    /// A new core restored from the persisted form (the original stays).
    pub fn restored(&self) -> Follower {
        self.restored_as(self.core.mode())
    }

    fn restored_as(&self, mode: Mode) -> Follower {
        let genesis = self.core.genesis().clone();
        Follower::restore(genesis, mode, Some(self.me), self.persisted.clone())
            .expect("a persisted snapshot restores")
    }

    /// A crash and restart: everything not persisted is lost; the core is rebuilt from
    /// the persisted form.
    pub fn restart(&mut self) {
        self.core = self.restored();
    }

    /// The same, switching mode (an operator restarting a watcher as a challenger).
    pub fn restart_as(&mut self, mode: Mode) {
        self.core = self.restored_as(mode);
    }
}
