//! A minimal pure model of the settlement layer's rules (docs/spec/settlement.md), for the
//! deterministic simulation and the core tests: the L1 queue, batch posting (bond, shape,
//! chain link, queue), the challenge window in abstract blocks, rulings with the real
//! `fraud::adjudicate`, reverts, slashing and finalization, all written to an event log of
//! the very `Event` type the verifier follows over HTTP.

use protocol::action::{L1Message, Tx};
use protocol::api::settlement::{Event, EventKind};
use protocol::batch::{Batch, genesis_anchor, genesis_tree};
use protocol::codec::Encode;
use protocol::fraud::{self, FraudProof, Verdict};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use std::collections::BTreeMap;

pub const T0_MS: u64 = 1_700_000_000_000;
pub const BLOCK_MS: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Finalized,
    Reverted,
}

#[derive(Debug, Clone)]
pub struct Posting {
    pub id: u64,
    pub batch: Batch,
    pub poster: Address,
    pub deadline: u64,
    pub status: Status,
}

/// The answer to a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ruling {
    Upheld { reward: u64, reverted: Vec<u64> },
    AlreadyReverted,
    Finalized,
    Rejected(String),
    NoSuchBatch,
}

#[derive(Debug, Clone)]
pub struct Ledger {
    pub genesis: Genesis,
    pub window: u64,
    pub min_bond: u64,
    pub block: u64,
    pub events: Vec<Event>,
    pub queue: Vec<L1Message>,
    pub postings: Vec<Posting>,
    /// Posting ids of the live chain, by batch index.
    pub live: Vec<usize>,
    pub bonds: BTreeMap<Address, u64>,
    pub balances: BTreeMap<Address, u64>,
    genesis_root: H256,
}

impl Ledger {
    pub fn new(genesis: &Genesis, window: u64) -> Ledger {
        Ledger {
            genesis: genesis.clone(),
            window,
            min_bond: 1_000,
            block: 0,
            events: Vec::new(),
            queue: Vec::new(),
            postings: Vec::new(),
            live: Vec::new(),
            bonds: BTreeMap::new(),
            balances: BTreeMap::new(),
            genesis_root: genesis_tree(genesis).root(),
        }
    }

    pub fn now_ms(&self) -> u64 {
        T0_MS + self.block * BLOCK_MS
    }

    fn emit(&mut self, event: EventKind) {
        let seq = self.events.len() as u64 + 1;
        self.events.push(Event {
            seq,
            block: self.block,
            timestamp_ms: self.now_ms(),
            event,
        });
    }

    pub fn bond(&mut self, account: Address, amount: u64) {
        let bond = self.bonds.entry(account).or_default();
        *bond += amount;
        let bond = *bond;
        self.emit(EventKind::Bonded {
            account,
            amount,
            bond,
        });
    }

    /// Queues `message` (a deposit or a forced action); returns its queue index.
    pub fn enqueue(&mut self, message: L1Message) -> u64 {
        let queue_index = self.queue.len() as u64;
        self.queue.push(message.clone());
        let from = Address([0xf0; 20]);
        self.emit(match message {
            L1Message::Deposit { account, amount } => EventKind::Deposited {
                queue_index,
                from,
                account,
                amount,
            },
            L1Message::Forced { action } => EventKind::ForcedQueued {
                queue_index,
                from,
                action,
            },
        });
        queue_index
    }

    /// The live tip: (index, header hash, post root, queue end).
    pub fn tip(&self) -> (Option<u64>, H256, H256, u64) {
        match self.live.last() {
            None => (None, genesis_anchor(&self.genesis), self.genesis_root, 0),
            Some(&p) => {
                let h = &self.postings[p].batch.header;
                (Some(h.index), h.hash(), h.post_state_root, h.queue_end)
            }
        }
    }

    /// Posts `batch` under the rules; returns the posting id or the refusal.
    pub fn post(&mut self, poster: Address, batch: &Batch) -> Result<u64, String> {
        if self.bonds.get(&poster).copied().unwrap_or(0) < self.min_bond {
            return Err("insufficient_bond".into());
        }
        batch
            .check_shape(self.genesis.checkpoint_interval_txs)
            .map_err(|e| e.to_string())?;
        let (index, hash, root, queue_end) = self.tip();
        let h = &batch.header;
        if h.index != index.map_or(0, |i| i + 1) {
            return Err("wrong_index".into());
        }
        if h.prev_header_hash != hash || h.prev_state_root != root {
            return Err("wrong_parent".into());
        }
        if h.queue_start != queue_end || h.queue_end > self.queue.len() as u64 {
            return Err("queue_gap".into());
        }
        for tx in &batch.txs {
            if let Tx::L1 {
                queue_index,
                message,
            } = tx
                && self.queue.get(*queue_index as usize) != Some(message)
            {
                return Err("queue_mismatch".into());
            }
        }
        let id = self.postings.len() as u64 + 1;
        self.postings.push(Posting {
            id,
            batch: batch.clone(),
            poster,
            deadline: self.block + self.window,
            status: Status::Pending,
        });
        self.live.push(self.postings.len() - 1);
        self.emit(EventKind::BatchPosted {
            submission_id: id,
            index: h.index,
            header_hash: h.hash(),
            poster,
            deadline_block: self.block + self.window,
            data: batch.encode(),
        });
        Ok(id)
    }

    /// Rules on `proof` against the submission with `header_hash`.
    pub fn challenge(
        &mut self,
        challenger: Address,
        proof: &FraudProof,
        header_hash: H256,
    ) -> Ruling {
        let Some(at) = self
            .postings
            .iter()
            .rposition(|p| p.batch.header.hash() == header_hash)
        else {
            return Ruling::NoSuchBatch;
        };
        match self.postings[at].status {
            Status::Reverted => return Ruling::AlreadyReverted,
            Status::Finalized => return Ruling::Finalized,
            Status::Pending => {}
        }
        let verdict = fraud::adjudicate(&self.genesis, &self.postings[at].batch, proof);
        let Verdict::Upheld {
            chunk,
            claimed_root,
            computed_root,
            claimed_receipts_root,
            computed_receipts_root,
        } = verdict
        else {
            let Verdict::Rejected { reason } = verdict else {
                unreachable!("a verdict is upheld or rejected")
            };
            return Ruling::Rejected(reason.to_string());
        };
        let target = self.postings[at].clone();
        self.emit(EventKind::ChallengeUpheld {
            batch_index: target.batch.header.index,
            submission_id: target.id,
            chunk,
            challenger,
            claimed_root,
            computed_root,
            claimed_receipts_root,
            computed_receipts_root,
        });
        let from = self
            .live
            .iter()
            .position(|&p| p == at)
            .expect("a pending posting is live");
        let mut reverted = Vec::new();
        for p in self.live.split_off(from) {
            self.postings[p].status = Status::Reverted;
            let (index, submission_id) = (self.postings[p].batch.header.index, self.postings[p].id);
            let header_hash = self.postings[p].batch.header.hash();
            reverted.push(index);
            self.emit(EventKind::BatchReverted {
                index,
                submission_id,
                header_hash,
            });
        }
        let amount = self.bonds.remove(&target.poster).unwrap_or(0);
        let reward = amount / 2;
        *self.balances.entry(challenger).or_default() += reward;
        self.emit(EventKind::Slashed {
            sequencer: target.poster,
            amount,
            challenger,
            challenger_reward: reward,
            burned: amount - reward,
        });
        Ruling::Upheld { reward, reverted }
    }

    /// Mines `n` blocks, finalizing in index order every batch past its window.
    pub fn mine(&mut self, n: u64) {
        for _ in 0..n {
            self.block += 1;
            let live = self.live.clone();
            for p in live {
                match self.postings[p].status {
                    Status::Finalized => continue,
                    Status::Pending if self.block > self.postings[p].deadline => {
                        self.postings[p].status = Status::Finalized;
                        let posting = &self.postings[p];
                        let event = EventKind::BatchFinalized {
                            index: posting.batch.header.index,
                            submission_id: posting.id,
                            header_hash: posting.batch.header.hash(),
                            post_state_root: posting.batch.header.post_state_root,
                        };
                        self.emit(event);
                    }
                    _ => break,
                }
            }
        }
    }
}
