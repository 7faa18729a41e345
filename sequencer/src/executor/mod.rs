//! The executor thread: the one owner of the state. It takes verified intake jobs in
//! arrival order (tickets, re-ordered here because verification runs in parallel), L1
//! messages, reverts and finalizations from one channel, drives `Core`, seals batches by
//! size or time, and hands every batch of journal entries to the writer together with the
//! replies they unlock, so that no reply leaves before its action is durable.
//!
//! Map: `sequencing` (the state machine, `Core`) → `chunk` (checkpoints, faults, sealing) → `revert`
//! (rollback, finalization, L1 queue) → `replay` (startup) ; this file: the thread.

mod adopt;
mod chunk;
pub mod replay;
mod revert;
mod sequencing;
pub mod serial_timing;

pub use adopt::Adopted;
pub use sequencing::{Applied, Core, Decision, Tip};

use crate::journal::Entry;
use crate::journal::writer::{Done, WriteOp, WriterHandle};
use crate::metrics::Metrics;
use crate::view::{ReadView, ViewSender};
use protocol::action::{L1Message, Tx};
use protocol::api::sequencer::{OpenBatchInfo, TxAccepted};
use protocol::engine::{Receipt, Status};
use protocol::primitives::{Address, H256};
use protocol::signing::SignatureError;
use protocol::state::StateError;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Why the executor stopped. Either is a bug or a damaged data dir, never a user error.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("state storage failed: {0}")]
    State(#[from] StateError),
    #[error("the log does not replay: {0}")]
    Replay(String),
}

impl ExecError {
    pub(crate) fn replay(message: impl Into<String>) -> ExecError {
        ExecError::Replay(message.into())
    }
}

/// The answer for one submitted action.
#[derive(Debug, Clone)]
pub enum Outcome {
    Accepted(Accepted),
    Rejected {
        hash: H256,
        status: Status,
        detail: Option<String>,
    },
}

/// An accepted action's answer, its receipt shared with the journal entry: the executor
/// copies no receipt; the API turns it into a `TxAccepted` on its own thread
/// (`From`), moving the receipt out once the writer has let go of it.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub hash: H256,
    pub seq: u64,
    pub batch_index: u64,
    pub position: u32,
    pub receipt: Arc<Receipt>,
}

impl From<Accepted> for TxAccepted {
    fn from(a: Accepted) -> TxAccepted {
        TxAccepted {
            hash: a.hash,
            seq: a.seq,
            batch_index: a.batch_index,
            position: a.position,
            receipt: Arc::unwrap_or_clone(a.receipt),
        }
    }
}

/// One action ready for the executor: the transaction, the outcome of its signature
/// check and its hash, both computed on the intake's worker threads so that the serial
/// path does neither (the hash is computed once per action, there).
#[derive(Debug)]
pub struct Verified {
    pub tx: Tx,
    pub signer: Result<Address, SignatureError>,
    pub hash: H256,
}

impl From<(Tx, Result<Address, SignatureError>)> for Verified {
    /// Hashes the transaction (for callers that verified it themselves).
    fn from((tx, signer): (Tx, Result<Address, SignatureError>)) -> Self {
        let hash = tx.hash();
        Verified { tx, signer, hash }
    }
}

/// Verified actions of one request, with where to answer.
#[derive(Debug)]
pub struct Job {
    pub items: Vec<Verified>,
    pub reply: oneshot::Sender<Vec<Outcome>>,
    /// Released with the reply (load-shedding admission).
    pub permit: Option<crate::intake::Admitted>,
}

#[derive(Debug)]
pub enum Command {
    /// A verified job; `ticket` is its arrival number.
    Verified { ticket: u64, job: Job },
    /// Ticket `ticket` produced no job (its verification task died); skip it.
    Void { ticket: u64 },
    /// L1 queue messages, by queue index.
    L1 { messages: Vec<(u64, L1Message)> },
    /// The settlement layer reverted our batch `from_index` (with `header_hash`) and all
    /// later ones. `done` gets `true` once the rollback and re-sequencing are durable,
    /// `false` if the batch was not ours to revert.
    Revert {
        from_index: u64,
        header_hash: H256,
        done: oneshot::Sender<bool>,
    },
    /// The settlement layer's batch `batch.header.index` was posted by someone else: adopt
    /// it (`Core::adopt`). `done` gets the outcome once it is durable.
    Adopt {
        batch: Box<protocol::batch::Batch>,
        done: oneshot::Sender<Result<Adopted, String>>,
    },
    /// The settlement layer finalized batch `index`.
    Finalized { index: u64, header_hash: H256 },
    /// A settlement-layer fact to journal in order with the executor's entries, with a
    /// view published once it is durable (so the feed's sessions see it at once).
    Settled(crate::journal::SettlementUpdate),
    /// Seal, flush and stop.
    Shutdown,
}

/// Most commands handled between two hand-offs to the writer.
const DRAIN: usize = 256;

/// The executor's settings.
#[derive(Debug, Clone)]
pub struct Batching {
    pub max_txs: usize,
    pub interval: Duration,
    pub snapshot_every: u64,
}

/// Wall-clock Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs the executor on this thread until `Shutdown` or until every sender is gone.
/// `failed` is raised if it stops on an error (intake then answers 503).
#[derive(Debug)]
pub struct Driver {
    pub core: Core,
    pub rx: mpsc::Receiver<Command>,
    pub writer: WriterHandle,
    pub views: ViewSender,
    pub batching: Batching,
    pub metrics: Arc<Metrics>,
    pub failed: Arc<AtomicBool>,
}

struct Loop {
    d: Driver,
    next_ticket: u64,
    parked: BTreeMap<u64, Option<Job>>,
    opened_at: Option<Instant>,
    dones: Vec<Done>,
    dirty: bool,
    /// Committed writes that changed a batch's row status (see `ReadView::batches_version`).
    batches_version: u64,
}

impl Driver {
    pub fn run(self) {
        let failed = self.failed.clone();
        let mut l = Loop {
            d: self,
            next_ticket: 0,
            parked: BTreeMap::new(),
            opened_at: None,
            dones: Vec::new(),
            dirty: true,
            batches_version: 0,
        };
        l.flush();
        if let Err(e) = l.run() {
            tracing::error!(error = %e, "executor stopped");
            failed.store(true, Ordering::Relaxed);
        }
    }
}

impl Loop {
    fn run(&mut self) -> Result<(), ExecError> {
        loop {
            let received = match self.seal_deadline() {
                Some(at) => self
                    .d
                    .rx
                    .recv_timeout(at.saturating_duration_since(Instant::now())),
                None => self.d.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match received {
                Ok(Command::Shutdown) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(command) => self.handle(command)?,
                Err(RecvTimeoutError::Timeout) => {}
            }
            // Take what else is already queued before handing the writer one write and
            // publishing one view for all of it: under load this shares the view's tree
            // clone (which makes the next updates copy their paths) among many actions.
            let mut stop = false;
            for _ in 0..DRAIN {
                match self.d.rx.try_recv() {
                    Ok(Command::Shutdown) => {
                        stop = true;
                        break;
                    }
                    Ok(command) => self.handle(command)?,
                    Err(_) => break,
                }
            }
            // A batch holding an L1 message is sealed now rather than on the size or time
            // trigger: the message has a deadline on the settlement layer (a block), and a
            // long `batch_interval` must not let it pass before the batch is posted. Actions
            // that arrived in the same round share the batch.
            if self.seal_deadline().is_some_and(|at| at <= Instant::now())
                || self.d.core.open_holds_l1()
            {
                self.d.core.seal(Decision::Live)?;
            }
            self.track_open();
            self.flush();
            if stop {
                break;
            }
        }
        self.d.core.seal(Decision::Live)?;
        self.flush();
        Ok(())
    }

    fn seal_deadline(&self) -> Option<Instant> {
        self.opened_at.map(|t| t + self.d.batching.interval)
    }

    fn track_open(&mut self) {
        match (self.d.core.open.is_some(), self.opened_at) {
            (true, None) => self.opened_at = Some(Instant::now()),
            (false, Some(_)) => self.opened_at = None,
            _ => {}
        }
    }

    fn handle(&mut self, command: Command) -> Result<(), ExecError> {
        self.dirty = true;
        match command {
            Command::Verified { ticket, job } => self.arrive(ticket, Some(job))?,
            Command::Void { ticket } => self.arrive(ticket, None)?,
            Command::L1 { messages } => {
                self.d.core.add_l1(messages);
                self.d.core.include_l1(now_ms(), self.d.batching.max_txs)?;
            }
            Command::Revert {
                from_index,
                header_hash,
                done,
            } => self.revert(from_index, header_hash, done)?,
            Command::Adopt { batch, done } => {
                let outcome = self
                    .d
                    .core
                    .adopt(&batch, now_ms(), self.d.batching.max_txs)?;
                match outcome {
                    Ok(adopted) => self.dones.push(Box::new(move |ok| {
                        let _ = done.send(if ok {
                            Ok(adopted)
                        } else {
                            Err("the journal write failed".into())
                        });
                    })),
                    Err(reason) => {
                        let _ = done.send(Err(reason));
                    }
                }
            }
            Command::Finalized { index, header_hash } => {
                if let Some(snapshot) =
                    self.d
                        .core
                        .finalize(index, header_hash, self.d.batching.snapshot_every)
                {
                    self.d.core.out.push(Entry::Snapshot(Box::new(snapshot)));
                }
            }
            Command::Settled(update) => self.d.core.out.push(Entry::Settlement(update)),
            Command::Shutdown => {}
        }
        Ok(())
    }

    /// Processes jobs strictly in ticket order.
    fn arrive(&mut self, ticket: u64, job: Option<Job>) -> Result<(), ExecError> {
        self.parked.insert(ticket, job);
        while let Some(job) = self.parked.remove(&self.next_ticket) {
            self.next_ticket += 1;
            if let Some(job) = job {
                self.process(job)?;
            }
        }
        self.d
            .metrics
            .executor_parked
            .store(self.parked.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn process(&mut self, job: Job) -> Result<(), ExecError> {
        let (outcomes, accepted) =
            self.d
                .core
                .sequence(job.items, now_ms(), self.d.batching.max_txs)?;
        self.d
            .metrics
            .observe_executed(accepted, outcomes.len() as u64 - accepted);
        let (reply, permit) = (job.reply, job.permit);
        // The permit (the request's room in the queue and its client's share) is given
        // back before the answer is sent, so a client that sends its next request as soon
        // as it has the answer finds its share free, not still held by the answered one.
        if accepted == 0 {
            drop(permit);
            let _ = reply.send(outcomes);
        } else {
            // Dropping `reply` unsent (write failed) makes the handler answer 503.
            self.dones.push(Box::new(move |ok| {
                drop(permit);
                if ok {
                    let _ = reply.send(outcomes);
                }
            }));
        }
        Ok(())
    }

    fn revert(
        &mut self,
        from_index: u64,
        header_hash: H256,
        done: oneshot::Sender<bool>,
    ) -> Result<(), ExecError> {
        let resequenced =
            self.d
                .core
                .resequence(from_index, header_hash, now_ms(), self.d.batching.max_txs)?;
        if resequenced.is_none() {
            let _ = done.send(false);
            return Ok(());
        }
        self.dones.push(Box::new(move |ok| {
            let _ = done.send(ok);
        }));
        Ok(())
    }

    /// Hands the new entries and the completions they unlock to the writer; the view is
    /// published once they are durable.
    fn flush(&mut self) {
        let entries = self.d.core.take_entries();
        if entries.is_empty() && self.dones.is_empty() && !self.dirty {
            return;
        }
        let changed = self.dirty || !entries.is_empty();
        if let Some(last) = self.d.core.tip.next_index.checked_sub(1) {
            self.d.metrics.last_sealed.store(last, Ordering::Relaxed);
        }
        if entries.iter().any(Entry::changes_batch_status) {
            self.batches_version += 1;
        }
        let batches_version = self.batches_version;
        let view = changed.then(|| {
            let mut view = self.d.core.read_view();
            view.batches_version = batches_version;
            Arc::new(view)
        });
        self.dirty = false;
        let dones = std::mem::take(&mut self.dones);
        let views = self.d.views.clone();
        self.d.writer.write(WriteOp {
            entries,
            done: Some(Box::new(move |ok| {
                if ok && let Some(view) = view {
                    views.send_replace(view);
                }
                for done in dones {
                    done(ok);
                }
            })),
        });
    }
}

impl Core {
    /// What reads see of this state (O(1): tree clones share nodes).
    pub fn read_view(&mut self) -> ReadView {
        let held = self.held_states();
        let core = &*self;
        let open = core.open.as_ref();
        ReadView {
            tree: core.tree.clone(),
            timestamp_ms: open.map_or(core.tip.timestamp_ms, |o| o.ctx.timestamp_ms),
            next_seq: core.next_seq,
            open: open.filter(|o| !o.txs.is_empty()).map(|o| OpenBatchInfo {
                index: o.record.index,
                timestamp_ms: o.ctx.timestamp_ms,
                tx_count: o.txs.len() as u32,
            }),
            next_batch_index: core.tip.next_index,
            queue_next: core.queue_next,
            final_queue_end: core.final_queue_end(),
            finalized: core.base.finalized.map(|i| (i, core.base.tree.clone())),
            held,
            fault_spent: core.fault_spent,
            batches_version: 0,
        }
    }
}
