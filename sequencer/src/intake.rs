//! Intake: admission (load shedding) and parallel signature verification.
//!
//! A request is admitted only if the actions queued ahead of it would be done within the
//! queue-wait bound at the executor's measured rate (`admission`), and the hard in-flight
//! budget has room for its actions (`try_admit`: never a wait), so every queue behind it
//! (verification pool, executor channel, writer channel) is bounded; otherwise the API
//! answers 503 at once. Admitted jobs get a ticket in arrival order and are verified on a
//! rayon pool sized to the machine's cores, off the async workers; a bulk job is split
//! across the pool. The executor puts jobs back in ticket order.

use crate::admission::{QueuePolicy, Throughput, account_share, admits, admits_account, budget};
use crate::executor::{Command, Job, Outcome, Verified};
use protocol::action::{SignedAction, Tx};
use protocol::batch::verify_tx_with;
use protocol::primitives::{Address, H256};
use protocol::signing::RecoverFn;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

#[derive(Debug)]
pub struct Intake {
    pool: rayon::ThreadPool,
    exec: mpsc::Sender<Command>,
    next_ticket: AtomicU64,
    admission: Arc<Semaphore>,
    capacity: usize,
    policy: QueuePolicy,
    /// Actions answered so far (their admission released): the rate's source.
    completed: Arc<AtomicU64>,
    throughput: Mutex<Throughput>,
    /// Each account's actions waiting: its share of the queue (fairness).
    waiting: Waiting,
    domain: H256,
    oracles: Arc<[Address]>,
    /// The recovery backend (k256 or libsecp256k1; equal outcomes on every input).
    recover: RecoverFn,
}

/// Sends `Void` for its ticket if the verification task ends without sending its job
/// (a panic), so the executor never waits for a ticket that will not come.
struct VoidOnDrop {
    ticket: u64,
    exec: Option<mpsc::Sender<Command>>,
}

impl Drop for VoidOnDrop {
    fn drop(&mut self) {
        if let Some(exec) = self.exec.take() {
            let _ = exec.send(Command::Void {
                ticket: self.ticket,
            });
        }
    }
}

/// Room for one request's actions until it is answered; dropping it counts them completed.
#[derive(Debug)]
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
    actions: u64,
    completed: Arc<AtomicU64>,
    /// Each account's actions in this request, given back to its share on drop.
    accounts: Vec<(Address, u64)>,
    waiting: Waiting,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.completed.fetch_add(self.actions, Ordering::Relaxed);
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        for (account, n) in &self.accounts {
            if let Some(w) = waiting.get_mut(account) {
                *w = w.saturating_sub(*n);
                if *w == 0 {
                    waiting.remove(account);
                }
            }
        }
    }
}

/// Actions admitted and not yet answered, per claimed account (absent: none).
type Waiting = Arc<Mutex<HashMap<Address, u64>>>;

/// Why a request was not admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overloaded {
    /// The queue's budget is used up.
    Queue,
    /// This account already has its share of the queue waiting.
    Account {
        account: Address,
        waiting: u64,
        share: u64,
    },
}

impl Intake {
    pub fn new(
        exec: mpsc::Sender<Command>,
        max_inflight: usize,
        policy: QueuePolicy,
        domain: H256,
        oracles: Arc<[Address]>,
        recover: RecoverFn,
    ) -> std::io::Result<Intake> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("seq-verify-{i}"))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Intake {
            pool,
            exec,
            next_ticket: AtomicU64::new(0),
            admission: Arc::new(Semaphore::new(max_inflight)),
            capacity: max_inflight,
            policy,
            completed: Arc::new(AtomicU64::new(0)),
            throughput: Mutex::new(Throughput::new(Instant::now())),
            waiting: Waiting::default(),
            domain,
            oracles,
            recover,
        })
    }

    /// Reserves room for `actions` actions, or says the service is overloaded: the queue
    /// ahead would take longer than the wait bound, or the hard budget is spent.
    /// Admits a request whose actions claim the signers `accounts` (one per action), or
    /// says why not: the queue's budget, or one account's share of it.
    pub fn try_admit(&self, accounts: &[Address]) -> Result<Admitted, Overloaded> {
        let n = u32::try_from(accounts.len()).map_err(|_| Overloaded::Queue)?;
        let mut per_account: BTreeMap<Address, u64> = BTreeMap::new();
        for account in accounts {
            *per_account.entry(*account).or_default() += 1;
        }
        // One lock over the checks and the reservation, so concurrent requests cannot all
        // pass the checks against the same queue.
        let mut throughput = self.throughput.lock().unwrap_or_else(|p| p.into_inner());
        let rate = throughput.observe(Instant::now(), self.completed.load(Ordering::Relaxed));
        if !admits(&self.policy, rate, self.inflight(), u64::from(n)) {
            return Err(Overloaded::Queue);
        }
        let share = account_share(budget(&self.policy, rate));
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        for (account, count) in &per_account {
            let now = waiting.get(account).copied().unwrap_or(0);
            if !admits_account(share, now, *count) {
                let (account, waiting) = (*account, now);
                return Err(Overloaded::Account {
                    account,
                    waiting,
                    share,
                });
            }
        }
        let permit = self
            .admission
            .clone()
            .try_acquire_many_owned(n)
            .map_err(|_| Overloaded::Queue)?;
        for (account, count) in &per_account {
            *waiting.entry(*account).or_default() += count;
        }
        drop((waiting, throughput));
        Ok(Admitted {
            _permit: permit,
            actions: u64::from(n),
            completed: self.completed.clone(),
            accounts: per_account.into_iter().collect(),
            waiting: self.waiting.clone(),
        })
    }

    /// The queue budget now, in actions (for `/metrics`).
    pub fn queue_budget(&self) -> u64 {
        let rate = self
            .throughput
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .observe(Instant::now(), self.completed.load(Ordering::Relaxed));
        budget(&self.policy, rate)
    }

    /// Actions admitted and not yet answered.
    pub fn inflight(&self) -> u64 {
        (self.capacity - self.admission.available_permits()) as u64
    }

    /// Verifies `actions` in parallel and queues them for execution; the outcomes (one per
    /// action, in order) arrive on the returned receiver once accepted ones are durable.
    /// The receiver fails if the service stops or its storage fails first.
    pub fn submit(
        &self,
        actions: Vec<SignedAction>,
        permit: Admitted,
    ) -> oneshot::Receiver<Vec<Outcome>> {
        let (reply, answer) = oneshot::channel();
        let ticket = self.next_ticket.fetch_add(1, Ordering::SeqCst);
        let exec = self.exec.clone();
        let (domain, oracles, recover) = (self.domain, self.oracles.clone(), self.recover);
        self.pool.spawn(move || {
            let mut guard = VoidOnDrop {
                ticket,
                exec: Some(exec),
            };
            let items = actions
                .into_par_iter()
                .map(|action| {
                    let tx = Tx::User { action };
                    let signer = verify_tx_with(&tx, &domain, &oracles, recover);
                    let hash = tx.hash();
                    Verified { tx, signer, hash }
                })
                .collect();
            let exec = guard.exec.take().expect("set above");
            let job = Job {
                items,
                reply,
                permit: Some(permit),
            };
            // If the executor is gone the job (and its reply) is dropped: the caller sees
            // the service stopping.
            let _ = exec.send(Command::Verified { ticket, job });
        });
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_never_waits_and_frees_with_the_permit() {
        let (exec, _rx) = mpsc::channel();
        let policy = QueuePolicy {
            max_queue_wait: std::time::Duration::from_millis(50),
            min_budget_actions: 1_000,
        };
        let intake = Intake::new(
            exec,
            3,
            policy,
            H256::ZERO,
            vec![Address([0; 20])].into(),
            protocol::signing::recover_signer,
        )
        .unwrap();
        let (a, b) = (Address([1; 20]), Address([2; 20]));
        let two = intake.try_admit(&[a, b]).expect("room for two");
        assert_eq!(intake.inflight(), 2);
        assert_eq!(
            intake.try_admit(&[a, b]).unwrap_err(),
            Overloaded::Queue,
            "only one left"
        );
        let one = intake.try_admit(&[b]).expect("room for one");
        assert_eq!(intake.try_admit(&[a]).unwrap_err(), Overloaded::Queue);
        drop(two);
        assert_eq!(intake.inflight(), 1);
        assert!(intake.try_admit(&[a, a]).is_ok());
        drop(one);
        assert_eq!(
            intake.try_admit(&[a, a, a, a]).unwrap_err(),
            Overloaded::Queue,
            "more than the budget"
        );
    }
}
