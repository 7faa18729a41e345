//! Intake: fair admission (load shedding), fair service order and parallel signature
//! verification.
//!
//! A request is admitted (`try_admit`, never a wait) within the queue budget and its
//! client's and accounts' shares (`admission`), and the hard in-flight cap; otherwise the
//! API answers 503 at once. Admitted requests wait in a deficit round-robin queue across
//! clients (`FairQueue`) and are let through while the actions being verified or executed
//! stay within the dispatch window (`dispatch_window`: half the wait bound's worth of work), so a light client's order passes a
//! flooder's backlog instead of queueing behind it. Each request let through takes a ticket
//! and is verified on a rayon pool sized to the machine's cores, off the async workers (a
//! bulk is split across the pool); the executor puts jobs back in ticket order.

use crate::admission::{
    FairQueue, Load, QueuePolicy, Refusal, Throughput, account_share, admit, admits_account,
    budget, dispatch_window,
};
use crate::executor::{Command, Job, Outcome, Verified};
use protocol::action::{SignedAction, Tx};
use protocol::batch::verify_tx_with;
use protocol::primitives::{Address, H256};
use protocol::signing::RecoverFn;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak, mpsc};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// Deficit round-robin quantum, in actions: a one-action request waits for at most about
/// this much of each other client's queued work (plus one request of it).
pub const QUANTUM_ACTIONS: u64 = 64;

/// Who sent a request, for fairness: a connection (peer address and port), or `None` for
/// callers inside the sequencer (the keeper) and in-process routers without a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Client(pub Option<SocketAddr>);

impl Client {
    pub const INTERNAL: Client = Client(None);
}

#[derive(Debug)]
pub struct Intake {
    dispatch: Arc<Dispatch>,
    admission: Arc<Semaphore>,
    capacity: usize,
    policy: QueuePolicy,
    /// Actions answered so far (their admission released): the rate's source.
    completed: Arc<AtomicU64>,
    throughput: Mutex<Throughput>,
    /// Actions waiting per client and per claimed account: their shares (fairness).
    waiting: Arc<Mutex<Waiting>>,
}

/// Actions admitted and not yet answered, per client and per claimed account (absent: none).
#[derive(Debug, Default)]
struct Waiting {
    clients: HashMap<Client, u64>,
    accounts: HashMap<Address, u64>,
}

/// Takes `n` off `key`'s count, forgetting it at zero.
fn release<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, u64>, key: &K, n: u64) {
    if let Some(w) = counts.get_mut(key) {
        *w = w.saturating_sub(n);
        if *w == 0 {
            counts.remove(key);
        }
    }
}

/// The fair queue and what lets requests out of it: verification and the executor.
#[derive(Debug)]
struct Dispatch {
    pool: rayon::ThreadPool,
    exec: mpsc::Sender<Command>,
    domain: H256,
    oracles: Arc<[Address]>,
    /// The recovery backend (k256 or libsecp256k1; equal outcomes on every input).
    recover: RecoverFn,
    /// Actions let through at most, unanswered (half the current budget).
    window: AtomicU64,
    queue: Mutex<Scheduled>,
}

#[derive(Debug)]
struct Scheduled {
    fair: FairQueue<Client, Pending>,
    /// Actions let through (being verified or executed) and not yet answered.
    dispatched: u64,
    next_ticket: u64,
}

/// An admitted request waiting for its turn.
#[derive(Debug)]
struct Pending {
    actions: Vec<SignedAction>,
    reply: oneshot::Sender<Vec<Outcome>>,
    permit: Admitted,
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

/// Room for one request's actions until it is answered; dropping it counts them completed,
/// gives its client's and accounts' shares back, and lets the next requests through.
#[derive(Debug)]
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
    actions: u64,
    completed: Arc<AtomicU64>,
    client: Client,
    /// Each account's actions in this request.
    accounts: Vec<(Address, u64)>,
    waiting: Arc<Mutex<Waiting>>,
    /// Set once let through the fair queue (weak: the queue holds admitted requests).
    dispatched: Option<Weak<Dispatch>>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.completed.fetch_add(self.actions, Ordering::Relaxed);
        {
            let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
            release(&mut waiting.clients, &self.client, self.actions);
            for (account, n) in &self.accounts {
                release(&mut waiting.accounts, account, *n);
            }
        }
        if let Some(dispatch) = self.dispatched.take().and_then(|d| d.upgrade()) {
            dispatch.finished(self.actions);
        }
    }
}

/// Why a request was not admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overloaded {
    /// The queue holds `queued` actions; `limit` is all it may (the budget, or with the
    /// reserve for requests within their client's share).
    Queue { queued: u64, limit: u64 },
    /// This connection already has `waiting` actions queued, its fair share.
    Client { waiting: u64, share: u64 },
    /// This account already has its share of the queue waiting.
    Account {
        account: Address,
        waiting: u64,
        share: u64,
    },
}

/// The API's reason for an admission policy refusal.
fn overloaded(refusal: Refusal) -> Overloaded {
    match refusal {
        Refusal::Full { queued, limit } => Overloaded::Queue { queued, limit },
        Refusal::ClientShare { queued, share } => Overloaded::Client {
            waiting: queued,
            share,
        },
    }
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
        let dispatch = Dispatch {
            pool,
            exec,
            domain,
            oracles,
            recover,
            window: AtomicU64::new(dispatch_window(&policy, 0)),
            queue: Mutex::new(Scheduled {
                fair: FairQueue::new(QUANTUM_ACTIONS),
                dispatched: 0,
                next_ticket: 0,
            }),
        };
        Ok(Intake {
            dispatch: Arc::new(dispatch),
            admission: Arc::new(Semaphore::new(max_inflight)),
            capacity: max_inflight,
            policy,
            completed: Arc::new(AtomicU64::new(0)),
            throughput: Mutex::new(Throughput::new(Instant::now())),
            waiting: Arc::default(),
        })
    }

    /// Admits a request from the sequencer itself (the keeper): see `try_admit_from`.
    pub fn try_admit(&self, accounts: &[Address]) -> Result<Admitted, Overloaded> {
        self.try_admit_from(Client::INTERNAL, accounts)
    }

    /// Admits a request from `client` whose actions claim the signers `accounts` (one per
    /// action), or says why not: the queue's budget, the client's share or an account's.
    pub fn try_admit_from(
        &self,
        client: Client,
        accounts: &[Address],
    ) -> Result<Admitted, Overloaded> {
        let n = u64::try_from(accounts.len()).unwrap_or(u64::MAX);
        let mut per_account: BTreeMap<Address, u64> = BTreeMap::new();
        for account in accounts {
            *per_account.entry(*account).or_default() += 1;
        }
        // One lock over the checks and the reservation, so concurrent requests cannot all
        // pass the checks against the same queue.
        let mut throughput = self.throughput.lock().unwrap_or_else(|p| p.into_inner());
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let (budget, load) = self.load_of(&mut throughput, &waiting, client);
        admit(budget, load, n).map_err(overloaded)?;
        let share = account_share(budget);
        for (account, count) in &per_account {
            let now = waiting.accounts.get(account).copied().unwrap_or(0);
            if !admits_account(share, now, *count) {
                let (account, waiting) = (*account, now);
                return Err(Overloaded::Account {
                    account,
                    waiting,
                    share,
                });
            }
        }
        let permit = u32::try_from(n)
            .ok()
            .and_then(|n| self.admission.clone().try_acquire_many_owned(n).ok())
            .ok_or(Overloaded::Queue {
                queued: load.queued,
                limit: self.capacity as u64,
            })?;
        *waiting.clients.entry(client).or_default() += n;
        for (account, count) in &per_account {
            *waiting.accounts.entry(*account).or_default() += count;
        }
        drop((waiting, throughput));
        Ok(Admitted {
            _permit: permit,
            actions: n,
            completed: self.completed.clone(),
            client,
            accounts: per_account.into_iter().collect(),
            waiting: self.waiting.clone(),
            dispatched: None,
        })
    }

    /// Whether a request of at least `n` actions from `client` would be refused by the
    /// queue's budget or the client's share now; nothing is reserved. The API asks this
    /// from a request's headers, before reading and parsing its body, so a flood's bulk is
    /// refused at once (`try_admit_from` decides again, with the real count and accounts).
    pub fn precheck(&self, client: Client, n: u64) -> Result<(), Overloaded> {
        let mut throughput = self.throughput.lock().unwrap_or_else(|p| p.into_inner());
        let waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let (budget, load) = self.load_of(&mut throughput, &waiting, client);
        admit(budget, load, n).map_err(overloaded)
    }

    /// Actions `client` has admitted and not yet answered.
    pub fn client_waiting(&self, client: Client) -> u64 {
        let waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        waiting.clients.get(&client).copied().unwrap_or(0)
    }

    /// The budget at the measured rate (the dispatch window follows it) and the queue as
    /// `client` finds it; the caller holds both locks.
    fn load_of(
        &self,
        throughput: &mut Throughput,
        waiting: &Waiting,
        client: Client,
    ) -> (u64, Load) {
        let rate = throughput.observe(Instant::now(), self.completed.load(Ordering::Relaxed));
        let budget = budget(&self.policy, rate);
        self.dispatch
            .window
            .store(dispatch_window(&self.policy, rate), Ordering::Relaxed);
        let client_queued = waiting.clients.get(&client).copied().unwrap_or(0);
        let others = waiting.clients.len() as u64 - u64::from(client_queued > 0);
        let load = Load {
            queued: self.inflight(),
            client_queued,
            active_clients: others + 1,
        };
        (budget, load)
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

    /// Queues `actions` in their client's turn, then verifies them in parallel and hands
    /// them to the executor; the outcomes (one per action, in order) arrive on the returned
    /// receiver once accepted ones are durable. Requests of one client keep their order.
    /// The receiver fails if the service stops or its storage fails first.
    pub fn submit(
        &self,
        actions: Vec<SignedAction>,
        permit: Admitted,
    ) -> oneshot::Receiver<Vec<Outcome>> {
        let (reply, answer) = oneshot::channel();
        let (client, cost) = (permit.client, permit.actions);
        let pending = Pending {
            actions,
            reply,
            permit,
        };
        let mut queue = self
            .dispatch
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        queue.fair.push(client, cost, pending);
        self.dispatch.pump(&self.dispatch, &mut queue, true);
        answer
    }
}

impl Dispatch {
    /// `actions` let through earlier were answered: room for the next.
    fn finished(self: Arc<Self>, actions: u64) {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        queue.dispatched = queue.dispatched.saturating_sub(actions);
        self.pump(&self, &mut queue, false);
    }

    /// Lets requests through in fair order while the window has room (always one when
    /// nothing is through, so a bulk larger than the window still passes). Tickets are
    /// taken here, under the queue's lock, so the executor's order is this order.
    /// `on_request`: called by the request's own (async) thread, which may verify it (see
    /// `verify`); the threads that answer requests never do.
    fn pump(&self, this: &Arc<Dispatch>, queue: &mut Scheduled, on_request: bool) {
        let window = self.window.load(Ordering::Relaxed);
        while let Some(cost) = queue.fair.peek_cost() {
            if queue.dispatched > 0 && queue.dispatched.saturating_add(cost) > window {
                return;
            }
            let (_, mut pending) = queue.fair.pop().expect("peeked");
            queue.dispatched += cost;
            pending.permit.dispatched = Some(Arc::downgrade(this));
            let ticket = queue.next_ticket;
            queue.next_ticket += 1;
            let alone = on_request
                && cost == 1
                && queue.dispatched == 1
                && queue.fair.peek_cost().is_none();
            self.verify(ticket, pending, alone);
        }
    }

    /// Verifies a request's actions and sends the job to the executor: on the pool, or
    /// here when it is one action and nothing else is in flight. Then the pool would only
    /// add a thread's wake-up (tens of microseconds on a virtual machine whose idle cores
    /// sleep) to a recovery that takes about as long, and this thread has nothing else to
    /// do; under load every request goes to the pool.
    fn verify(&self, ticket: u64, pending: Pending, alone: bool) {
        let exec = self.exec.clone();
        let (domain, oracles, recover) = (self.domain, self.oracles.clone(), self.recover);
        let work = move || {
            let mut guard = VoidOnDrop {
                ticket,
                exec: Some(exec),
            };
            let Pending {
                actions,
                reply,
                permit,
            } = pending;
            let verify = |action| {
                let tx = Tx::User { action };
                let signer = verify_tx_with(&tx, &domain, &oracles, recover);
                let hash = tx.hash();
                Verified { tx, signer, hash }
            };
            let items = if actions.len() == 1 {
                actions.into_iter().map(verify).collect()
            } else {
                actions.into_par_iter().map(verify).collect()
            };
            let exec = guard.exec.take().expect("set above");
            let job = Job {
                items,
                reply,
                permit: Some(permit),
            };
            // If the executor is gone the job (and its reply) is dropped: the caller sees
            // the service stopping.
            let _ = exec.send(Command::Verified { ticket, job });
        };
        if alone {
            work();
        } else {
            self.pool.spawn(work);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intake(max_inflight: usize, min_budget_actions: u64) -> Intake {
        let (exec, _rx) = mpsc::channel();
        let policy = QueuePolicy {
            max_queue_wait: std::time::Duration::from_millis(50),
            min_budget_actions,
        };
        let oracles = vec![Address([0; 20])].into();
        Intake::new(
            exec,
            max_inflight,
            policy,
            H256::ZERO,
            oracles,
            protocol::signing::recover_signer,
        )
        .unwrap()
    }

    #[test]
    fn admission_never_waits_and_frees_with_the_permit() {
        let intake = intake(3, 1_000);
        let (a, b) = (Address([1; 20]), Address([2; 20]));
        let two = intake.try_admit(&[a, b]).expect("room for two");
        assert_eq!(intake.inflight(), 2);
        let full = Overloaded::Queue {
            queued: 2,
            limit: 3,
        };
        assert_eq!(
            intake.try_admit(&[a, b]).unwrap_err(),
            full,
            "only one left"
        );
        let one = intake.try_admit(&[b]).expect("room for one");
        assert_eq!(intake.inflight(), 3);
        drop(two);
        assert_eq!(intake.inflight(), 1);
        assert!(intake.try_admit(&[a, a]).is_ok());
        drop(one);
        assert_eq!(intake.inflight(), 0);
    }

    #[test]
    fn a_connection_gets_its_share_and_the_others_keep_theirs() {
        let intake = intake(1_000, 10);
        let peer = |port| Client(Some(SocketAddr::from(([127, 0, 0, 1], port))));
        let accounts: Vec<Address> = (0..10u8).map(|i| Address([i; 20])).collect();
        let flood = intake
            .try_admit_from(peer(1), &accounts)
            .expect("an idle queue takes a whole budget");
        let light = intake
            .try_admit_from(peer(2), &[Address([99; 20])])
            .expect("a client within its share (10 / 2) uses the reserve");
        assert_eq!(
            intake
                .try_admit_from(peer(1), &[Address([98; 20])])
                .unwrap_err(),
            Overloaded::Client {
                waiting: 10,
                share: 5
            },
        );
        drop((flood, light));
        assert!(intake.try_admit_from(peer(1), &[Address([98; 20])]).is_ok());
    }
}
