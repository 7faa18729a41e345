//! A pure world for the core tests and the simulation: a seeded workload, the settlement
//! model (`Ledger`) and the test sequencer; plus `Replica`, a `Follower` driven the way
//! the shell drives it (apply a page, persist the journal, submit due proofs, record the
//! answers), whose persisted form is checked against `Follower::snapshot()` after every
//! step.

use super::ledger::{Ledger, Ruling};
use super::sequencing::{Sealed, Sequencer};
use protocol::action::Tx;
use protocol::api::verifier::Mode;
use protocol::fault::Fault;
use protocol::primitives::Address;
use protocol::workload::Workload;
use verifier::core::{Finding, Follower, Outputs, Snapshot, StoreOp, Submission};

pub const SEQUENCER: Address = Address([0x5e; 20]);
pub const DEPOSIT: u64 = 100_000_000_000;

#[derive(Debug)]
pub struct World {
    pub workload: Workload,
    pub ledger: Ledger,
    pub seq: Sequencer,
}

impl World {
    /// `traders` funded traders, checkpoint interval `k`, challenge window `window` blocks.
    pub fn new(seed: u64, traders: usize, k: u32, window: u64) -> World {
        let mut workload = Workload::new(seed, traders);
        workload.genesis.checkpoint_interval_txs = k;
        let mut ledger = Ledger::new(&workload.genesis, window);
        ledger.bond(SEQUENCER, 1_000);
        for tx in workload.deposits(DEPOSIT) {
            if let Tx::L1 { message, .. } = tx {
                ledger.enqueue(message);
            }
        }
        World {
            seq: Sequencer::new(&workload.genesis),
            workload,
            ledger,
        }
    }

    /// The unconsumed queue messages, fresh prices and `n` workload transactions.
    pub fn next_txs(&mut self, n: usize) -> Vec<Tx> {
        let now = self.ledger.now_ms();
        let first = self.seq.tip().queue_end;
        let mut txs: Vec<Tx> = (first..self.ledger.queue.len() as u64)
            .map(|queue_index| Tx::L1 {
                queue_index,
                message: self.ledger.queue[queue_index as usize].clone(),
            })
            .collect();
        txs.extend(self.workload.price_updates(now));
        txs.extend((0..n).map(|_| self.workload.next_tx(now)));
        txs
    }

    /// Seals `txs` (with `fault`) and posts the batch; the ledger must accept it.
    pub fn post(&mut self, txs: Vec<Tx>, fault: Option<Fault>) -> Sealed {
        let sealed = self.seq.seal(txs, self.ledger.now_ms(), fault);
        if let Err(e) = self.ledger.post(SEQUENCER, &sealed.batch) {
            panic!(
                "the ledger refused batch {}: {e}",
                sealed.batch.header.index
            );
        }
        sealed
    }

    /// Posts the next batch of `n` workload transactions.
    pub fn post_next(&mut self, n: usize, fault: Option<Fault>) -> Sealed {
        let txs = self.next_txs(n);
        self.post(txs, fault)
    }
}

/// A verifier core with its persisted form, driven like the shell drives it.
#[derive(Debug)]
pub struct Replica {
    pub core: Follower,
    pub persisted: Snapshot,
    pub me: Address,
    /// Every persisted page's journal, in order (for replaying into the SQLite store).
    pub pages: Vec<Vec<StoreOp>>,
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

    /// Applies the events after the cursor, `page` at a time, persisting after each page.
    pub fn feed(&mut self, ledger: &Ledger, page: usize) -> Vec<Finding> {
        let mut findings = Vec::new();
        loop {
            let from = self.core.cursor() as usize;
            let events = &ledger.events[from..(from + page.max(1)).min(ledger.events.len())];
            if events.is_empty() {
                return findings;
            }
            for event in events {
                self.core.apply(event).expect("events in order");
            }
            findings.extend(self.persist().findings.into_iter().map(|(_, f)| f));
        }
    }

    /// Applies the next event and persists it.
    pub fn feed_one(&mut self, ledger: &Ledger) {
        let event = &ledger.events[self.core.cursor() as usize];
        self.core.apply(event).expect("events in order");
        self.persist();
    }

    /// A new core restored from the persisted form (the original stays).
    pub fn restored(&self) -> Follower {
        Follower::restore(
            self.core.genesis().clone(),
            self.core.mode(),
            self.core.challenger(),
            self.persisted.clone(),
        )
        .expect("a persisted snapshot restores")
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

    /// Submits every due proof to `ledger` and records the answers (persisted unless
    /// `lose_answers`, which models a crash between the submission and its record).
    pub fn challenge(&mut self, ledger: &mut Ledger, lose_answers: bool) -> Vec<Ruling> {
        let mut rulings = Vec::new();
        for action in self.core.due_challenges() {
            let ruling = ledger.challenge(self.me, &action.proof, action.header_hash);
            let answer = match ruling.clone() {
                Ruling::Upheld { reward, .. } => Submission::Upheld { reward },
                Ruling::AlreadyReverted => Submission::AlreadyReverted,
                Ruling::Finalized => Submission::TooLate,
                Ruling::Rejected(reason) => Submission::Rejected { reason },
                Ruling::NoSuchBatch => Submission::Failed {
                    error: "no such batch".into(),
                },
            };
            self.core
                .record_answer(action.submission_id, Some(ledger.block), answer);
            rulings.push(ruling);
        }
        if !lose_answers {
            self.persist();
        }
        rulings
    }

    /// A crash and restart: everything not persisted is lost; the core is rebuilt from
    /// the persisted form.
    pub fn restart(&mut self) {
        self.core = self.restored();
    }

    /// The same, switching mode (an operator restarting a watcher as a challenger).
    pub fn restart_as(&mut self, mode: Mode) {
        self.core = Follower::restore(
            self.core.genesis().clone(),
            mode,
            Some(self.me),
            self.persisted.clone(),
        )
        .expect("a persisted snapshot restores");
    }
}
