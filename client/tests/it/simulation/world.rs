//! The simulation's world, all production code without HTTP or a clock: the settlement
//! layer is `contracts_mock::Ledger` (the real rules on an in-memory SQLite, one
//! transaction per call), the sequencer is `sequencer::executor::Core` (the executor
//! thread's state machine, with its real `FaultPlan` injection, rollback and
//! re-sequencing), driven here the way its follower and poster drive it; a seeded workload
//! supplies the traffic. Time is the L1 block: block b is stamped `T0_MS + b × BLOCK_MS`.
//!
//! Every posted batch gets its truth by construction, checked independently: a batch on a
//! bad parent is `OnBad`; otherwise it is re-executed from the honest state, and it is
//! `Bad` exactly when the sequencer's journal says it injected a fault there and
//! re-execution finds the bad chunk at that chunk (an injection the state absorbed leaves
//! the batch honest; an honest sequencer sealing a bad batch fails the run).

use contracts_mock::{ApiError, Config, Ledger};
use protocol::action::{Action, Withdraw};
use protocol::action::{L1Message, Tx};
use protocol::api::settlement::{
    BatchStatus, BondCall, DepositCall, Event, EventKind, ExitClaimCall, ExitPhase, ExitProof,
    FaucetRequest, ForceCall, PostBatchCall,
};
use protocol::batch::{Batch, genesis_anchor, genesis_tree, verify_tx};
use protocol::codec::Decode;
use protocol::fault::Fault;
use protocol::fraud;
use protocol::primitives::{Address, H256};
use protocol::signing::sign_action;
use protocol::tree::Tree;
use protocol::workload::Workload;
use sequencer::FaultPlan;
use sequencer::executor::{Core, Decision};
use sequencer::journal::Entry;
use sequencer::journal::record::Checkpoint;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub const SEQUENCER: Address = Address([0x5e; 20]);
/// Pays the traders' deposits on L1.
const FUNDER: Address = Address([0xf0; 20]);
pub const DEPOSIT: u64 = 100_000_000_000;
pub const BOND: u64 = 1_000;
/// An hour past the devnet's first option expiry: every index lists the next day's BTC
/// series (Part 8 §9), so the option faults find series to corrupt.
pub const T0_MS: u64 = protocol::genesis::DEVNET_FIRST_EXPIRY_MS + 3_600_000;
pub const BLOCK_MS: u64 = 1_000;
/// The core's sealing threshold; the simulation seals each batch itself below it.
const BATCH_MAX_TXS: usize = 64;
/// Finalized batches between two sequencer snapshots (the snapshot itself is dropped).
const SNAPSHOT_EVERY: u64 = 4;
const PAGE: u64 = 1_000;

/// What a batch is, by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    Honest,
    /// A fault was injected in this batch and bit.
    Bad,
    /// Built on a bad batch.
    OnBad,
}

/// A forced withdrawal the workload queued on L1.
#[derive(Debug, Clone, Copy)]
pub struct Forced {
    pub queue_index: u64,
}

/// One posting to the settlement layer.
#[derive(Debug, Clone)]
pub struct Posting {
    pub batch: Batch,
    pub truth: Truth,
    /// The fault the journal recorded in it, and at which chunk.
    pub fault: Option<(Fault, u32)>,
}

#[derive(Debug)]
pub struct World {
    pub workload: Workload,
    pub ledger: Ledger,
    pub core: Core,
    /// The L1 head block.
    pub block: u64,
    /// Every posting, by submission id.
    pub postings: BTreeMap<u64, Posting>,
    /// The honest state after every honest batch, by header hash (genesis' anchor too).
    honest: BTreeMap<H256, Tree>,
    /// The event seq the sequencer has followed to.
    followed: u64,
    /// The journal's fault record of the batch being sealed: (chunks closed, fault).
    building: (u32, Option<(Fault, u32)>),
    domain: H256,
    /// The sequencer leaves forced messages (and all after one) out.
    pub censors: bool,
    /// The sequencer has stopped: silent, or stalled after a refused post.
    pub stopped: bool,
    /// Every trader's agent approval has been sequenced (with the first users' batch), so
    /// agent actions and the `agent-withdraw` fault have agents to act on.
    agents_approved: bool,
    pub forced: Vec<Forced>,
    /// After a disk loss: the rebuilt core has not reached the settlement layer's tip yet
    /// (a live batch it cannot adopt, a bad one, is waiting to be reverted).
    rebuilding: bool,
    /// Exit claims made, by trader: (owed, L1 balance before the payout).
    pub exits: Vec<(Address, u64, u64)>,
    /// The fault whose precondition (`Workload::precondition`) the postings offer, and
    /// how many more times: some faults corrupt a state (a switch, a waiting
    /// stop, a good-till-time order) that random draws reach only sometimes.
    prepare: Option<(Fault, u32)>,
}

/// The settlement layer refused something the simulation expects to pass.
fn refused(what: &str) -> impl FnOnce(ApiError) -> String + '_ {
    move |e| format!("the settlement layer refused {what}: {e}")
}

impl World {
    /// `traders` funded traders, checkpoint interval `k`, challenge window `window`
    /// blocks, and a sequencer that injects `fault` (none: honest).
    pub fn new(seed: u64, traders: usize, k: u32, window: u64, fault: Option<FaultPlan>) -> World {
        let mut workload = Workload::new(seed, traders).with_agents(seed);
        workload.genesis.checkpoint_interval_txs = k;
        let genesis = workload.genesis.clone();
        let mut config = Config::new(PathBuf::new(), genesis.clone());
        config.block_time_ms = None;
        config.challenge_window_blocks = window;
        // D, F and P on the short clock the auditor counts the freeze by.
        config.set_short_exit_clock();
        config.min_sequencer_bond = BOND;
        config.min_challenger_bond = 0;
        config.slash_share_bps = 5_000;
        let ledger = Ledger::open_in_memory(config, T0_MS).expect("an in-memory ledger opens");
        let mut core = Core::new(Arc::new(genesis.clone()), None);
        core.set_fault(fault, false);
        let tree = genesis_tree(&genesis);
        let mut world = World {
            domain: protocol::batch::domain_separator(&genesis),
            honest: BTreeMap::from([(genesis_anchor(&genesis), tree)]),
            workload,
            ledger,
            core,
            block: 0,
            postings: BTreeMap::new(),
            followed: 0,
            building: (0, None),
            censors: false,
            stopped: false,
            agents_approved: false,
            forced: Vec::new(),
            exits: Vec::new(),
            rebuilding: false,
            prepare: None,
        };
        if let Some(plan) = &fault {
            world.prepare(plan.fault);
        }
        world.fund();
        world
    }

    /// The sequencer's tokens and bond, and every trader's deposit.
    fn fund(&mut self) {
        let deposits = self.workload.deposits(DEPOSIT);
        for (address, amount) in [
            (SEQUENCER, 10 * BOND),
            (FUNDER, DEPOSIT * deposits.len() as u64),
        ] {
            let req = FaucetRequest { address, amount };
            self.ledger
                .faucet(&req)
                .map_err(refused("the faucet"))
                .unwrap();
        }
        self.bond();
        for tx in deposits {
            if let Tx::L1 {
                message: L1Message::Deposit { account, amount },
                ..
            } = tx
            {
                let call = DepositCall { account, amount };
                self.ledger
                    .deposit(&FUNDER, &call)
                    .map_err(refused("a deposit"))
                    .unwrap();
            }
        }
    }

    /// Bonds the sequencer's minimum (again, after a slash).
    pub fn bond(&mut self) {
        let call = BondCall { amount: BOND };
        self.ledger
            .bond(&SEQUENCER, &call)
            .map_err(refused("the bond"))
            .unwrap();
    }

    /// The L1 head's timestamp.
    pub fn now_ms(&self) -> u64 {
        T0_MS + self.block * BLOCK_MS
    }

    /// Mines `n` blocks.
    pub fn mine(&mut self, n: u64) {
        self.block += n;
        let mined = self.ledger.mine(n, None, self.now_ms()).expect("mines");
        assert_eq!(mined.block.number, self.block);
    }

    /// Every event after `after`.
    pub fn events(&self, after: u64) -> Vec<Event> {
        let mut events = Vec::new();
        loop {
            let from = events.last().map_or(after, |e: &Event| e.seq);
            let page = self.ledger.events(from, PAGE).expect("events read");
            let done = page.events.len() < PAGE as usize;
            events.extend(page.events);
            if done {
                return events;
            }
        }
    }

    /// Up to `n` events after `after`.
    pub fn page(&self, after: u64, n: usize) -> Vec<Event> {
        self.ledger
            .events(after, n as u64)
            .expect("events read")
            .events
    }

    pub fn last_seq(&self) -> u64 {
        self.ledger
            .events(u64::MAX, 1)
            .expect("events read")
            .last_seq
    }

    /// Whether every live batch is final.
    pub fn settled(&self) -> bool {
        self.ledger.status().expect("status").pending_batches == 0
    }

    /// Whether a revert happened that the sequencer has not followed yet.
    pub fn revert_unfollowed(&self) -> bool {
        self.events(self.followed)
            .iter()
            .any(|e| matches!(e.event, EventKind::BatchReverted { .. }))
    }

    /// The sequencer's follower and poster: takes in new L1 messages, finalizations and
    /// reverts (rolling back and re-sequencing, then bonding again and posting what was
    /// re-sequenced). Returns the first reverted index it handled.
    pub fn follow(&mut self) -> Option<u64> {
        if self.stopped {
            return None;
        }
        if self.rebuilding {
            self.catch_up();
        }
        let mut first = None;
        for e in self.events(self.followed) {
            self.followed = e.seq;
            match e.event {
                EventKind::BatchReverted {
                    index, header_hash, ..
                } => {
                    let now = self.now_ms();
                    let resequenced = self
                        .core
                        .resequence(index, header_hash, now, BATCH_MAX_TXS)
                        .expect("full tree");
                    if resequenced.is_some() {
                        first = first.or(Some(index));
                    }
                }
                EventKind::BatchFinalized {
                    index, header_hash, ..
                } => {
                    self.core.finalize(index, header_hash, SNAPSHOT_EVERY);
                }
                _ => {}
            }
        }
        let queue = self
            .ledger
            .queue(self.core.final_queue_end(), PAGE)
            .expect("queue read");
        let censors = self.censors;
        self.core.add_l1(
            queue
                .messages
                .into_iter()
                .take_while(|m| !(censors && matches!(m.message, L1Message::Forced { .. })))
                .map(|m| (m.index, m.message)),
        );
        if first.is_some() {
            self.bond();
            self.seal_and_post();
        }
        first
    }

    /// Sequences fresh prices and `users` as one job at the head's time, seals the batch
    /// and posts it (and any batch the core sealed on its own).
    pub fn sequence(&mut self, users: Vec<Tx>) {
        if self.stopped || self.rebuilding {
            return;
        }
        let now = self.now_ms();
        let mut txs = self.workload.price_updates(now);
        if !self.agents_approved {
            self.agents_approved = true;
            txs.extend(self.workload.agent_approvals(now));
        }
        txs.extend(users);
        let oracle = self.workload.genesis.oracles.clone();
        // What intake does for every action before the executor sees it.
        let items = txs
            .into_iter()
            .map(|tx| {
                let signer = verify_tx(&tx, &self.domain, &oracle);
                (tx, signer)
            })
            .collect();
        self.core
            .sequence(items, now, BATCH_MAX_TXS)
            .expect("full tree");
        self.seal_and_post();
    }

    /// What a live sequencer does with `n` fresh workload actions: follows the log, then
    /// sequences them at the head's time; returns the postings this made (the core seals
    /// a batch at every `BATCH_MAX_TXS`, so there may be several).
    /// Offers `fault`'s precondition at the end of every posting from now on (a fill, a
    /// cancel-all or a replaced switch may take the previous one away before the fault's
    /// batch).
    pub fn prepare(&mut self, fault: Fault) {
        self.prepare = Some((fault, u32::MAX));
    }

    /// `n` user transactions from the workload, then the cheating fault's precondition
    /// (see [`World::prepare`]).
    pub fn next_users(&mut self, n: usize, now_ms: u64) -> Vec<Tx> {
        let mut users: Vec<Tx> = (0..n).map(|_| self.workload.next_tx(now_ms)).collect();
        if let Some((fault, left)) = self.prepare.filter(|(_, left)| *left > 0) {
            users.extend(self.workload.precondition(fault, now_ms));
            self.prepare = Some((fault, left - 1));
        }
        users
    }

    pub fn post_txs(&mut self, n: usize) -> Vec<Posting> {
        let next = self.postings.keys().next_back().map_or(0, |id| id + 1);
        self.follow();
        let now = self.now_ms();
        let users = self.next_users(n, now);
        self.sequence(users);
        self.postings
            .range(next..)
            .map(|(_, p)| p.clone())
            .collect()
    }

    fn seal_and_post(&mut self) {
        self.core.seal(Decision::Live).expect("full tree");
        for entry in self.core.take_entries() {
            match entry {
                Entry::Open(_) | Entry::Revert { .. } => self.building = (0, None),
                Entry::Tx { record, .. } => self.closed(record.checkpoint),
                Entry::Seal { record, data, .. } => {
                    self.closed(record.checkpoint);
                    let fault = self.building.1;
                    self.building = (0, None);
                    self.post(data, fault);
                }
                _ => {}
            }
        }
    }

    /// Counts a chunk closed by the journal, noting the fault recorded at it.
    fn closed(&mut self, checkpoint: Option<Checkpoint>) {
        if let Some(checkpoint) = checkpoint {
            if let Some(fault) = checkpoint.fault {
                self.building.1 = Some((fault, self.building.0));
            }
            self.building.0 += 1;
        }
    }

    /// Posts a sealed batch, as the poster does; the settlement layer must accept it.
    fn post(&mut self, data: Vec<u8>, fault: Option<(Fault, u32)>) {
        let batch = Batch::decode(&data).expect("the core seals canonical batches");
        let index = batch.header.index;
        let posted = match self
            .ledger
            .post_batch(&SEQUENCER, &PostBatchCall::Data(data))
        {
            Ok(posted) => posted,
            // A censor's batch is refused once a forced message is overdue: it stalls.
            Err(e) if self.censors && e.code == "overdue_message_skipped" => {
                self.stopped = true;
                return;
            }
            Err(e) => panic!("the settlement layer refused batch {index}: {e}"),
        };
        let truth = self.truth(&batch, fault);
        let posting = Posting {
            batch,
            truth,
            fault,
        };
        self.postings.insert(posted.submission_id, posting);
    }

    fn truth(&mut self, batch: &Batch, fault: Option<(Fault, u32)>) -> Truth {
        let Some(pre) = self.honest.get(&batch.header.prev_header_hash) else {
            return Truth::OnBad;
        };
        let genesis = &self.workload.genesis;
        let (post, bad) = fraud::find_first_bad_chunk(pre, genesis, batch).expect("full tree");
        let index = batch.header.index;
        match (bad, fault) {
            (None, _) => {
                self.honest.insert(batch.header.hash(), post);
                Truth::Honest
            }
            (Some(bad), Some((_, chunk))) => {
                assert_eq!(bad.chunk, chunk, "batch {index} is bad elsewhere");
                Truth::Bad
            }
            (Some(bad), None) => panic!(
                "the sequencer sealed batch {index} bad at chunk {} with no fault",
                bad.chunk
            ),
        }
    }

    /// Whether exit mode has nothing left to do: live with nothing waiting in the queue,
    /// or every claim paid.
    pub fn exit_settled(&self) -> bool {
        match self.ledger.exit().expect("exit status").phase {
            ExitPhase::Live => !self.l1_waiting(),
            ExitPhase::Paid => true,
            ExitPhase::Frozen | ExitPhase::Claiming => false,
        }
    }

    /// The sequencer loses its disk: a fresh core (no journal, no fault plan: a restarted
    /// honest binary) rebuilds from the settlement layer's live batches, as
    /// `--bootstrap-from-l1` does.
    pub fn lose_disk(&mut self) {
        self.core = Core::new(Arc::new(self.workload.genesis.clone()), None);
        self.building = (0, None);
        self.catch_up();
    }

    /// Adopts every live batch past the core's tip, in order, finalizing the final ones;
    /// stops at one it cannot adopt (a bad batch, until a proof reverts it).
    fn catch_up(&mut self) {
        let mut live: Vec<(u64, Batch, bool)> = Vec::new();
        for &id in self.postings.keys() {
            let view = self.ledger.submission(id).expect("read").expect("posted");
            let finalized = match view.status {
                BatchStatus::Reverted { .. } => continue,
                BatchStatus::Finalized { .. } => true,
                BatchStatus::Pending { .. } => false,
            };
            let batch = Batch::decode(&view.data.expect("data")).expect("a batch");
            live.push((view.index, batch, finalized));
        }
        live.sort_by_key(|(index, ..)| *index);
        let now = self.now_ms();
        self.rebuilding = false;
        for (index, batch, finalized) in live {
            if index < self.core.tip().next_index {
                continue;
            }
            if self
                .core
                .adopt(&batch, now, BATCH_MAX_TXS)
                .expect("full tree")
                .is_err()
            {
                self.rebuilding = true;
                break;
            }
            if finalized {
                self.core
                    .finalize(index, batch.header.hash(), SNAPSHOT_EVERY);
            }
        }
        // The journal is not modelled: what adopting wrote is durable by assumption.
        self.core.take_entries();
    }

    /// Whether an L1 message waits that no live batch consumed.
    pub fn l1_waiting(&self) -> bool {
        let status = self.ledger.status().expect("status");
        status.queue_length > status.tip.queue_end
    }

    /// `trader` forces a 1 USDC withdrawal through the L1 queue (a relay of its own).
    pub fn force_withdrawal(&mut self, trader: usize) {
        let t = &self.workload.traders[trader % self.workload.traders.len()];
        let (address, key) = (t.address, t.key.clone());
        let action = Action::Withdraw(Withdraw {
            account: address,
            amount: 1_000_000,
            nonce: 1_000_000_000 + self.forced.len() as u64,
            expires_at: u64::MAX / 2,
        });
        let call = ForceCall {
            action: sign_action(&key, action, &self.domain),
        };
        let Ok(queued) = self.ledger.force(&address, &call) else {
            return; // frozen already: nothing can be queued
        };
        self.forced.push(Forced {
            queue_index: queued.queue_index,
        });
    }

    /// Once exit claims are open, every trader claims (once), with the witness of the
    /// honest state at the exit root, which the simulation holds.
    pub fn claim_exits(&mut self) {
        let exit = self.ledger.exit().expect("exit status");
        if exit.phase != ExitPhase::Claiming || !self.exits.is_empty() {
            return;
        }
        let tip = self.ledger.status().expect("status").tip;
        let tree = self
            .honest
            .get(&tip.header_hash)
            .expect("the exit root is an honest state")
            .clone();
        assert_eq!(Some(tree.root()), exit.exit_root);
        let genesis = self.workload.genesis.clone();
        let traders: Vec<Address> = self.workload.traders.iter().map(|t| t.address).collect();
        for address in traders {
            let proof = ExitProof::build(&tree, tip.index, &genesis, &address).expect("valued");
            let call = ExitClaimCall {
                account: address,
                witness: proof.witness,
            };
            let claimed = self
                .ledger
                .claim_exit(&FUNDER, &call)
                .map_err(refused("an exit claim"))
                .unwrap();
            assert_eq!(i128::from(claimed.equity), proof.equity);
            let again = self.ledger.claim_exit(&FUNDER, &call);
            assert_eq!(again.expect_err("a second claim").code, "already_claimed");
            let balance = self.ledger.account(&address).expect("account").balance;
            self.exits.push((address, claimed.owed, balance));
        }
    }
}
