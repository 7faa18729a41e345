//! Fair, bounded admission: which requests join the executor's queue, and in which order
//! the queued ones are served.
//!
//! **Budget.** The queue may hold what the executor completes within `max_queue_wait` at
//! its measured rate (never less than `min_budget_actions`), in actions: a request is
//! charged by its size. Beyond it a request is refused at once (503 with `Retry-After`),
//! so an accepted request never sits for seconds behind a flood.
//!
//! **Clients' shares.** A client is one connection (its peer address and port), or the
//! sequencer itself. A client may have at most `budget / active clients` actions waiting
//! (the clients with something waiting, itself counted): its fair share. A request within
//! its client's share may also use a second budget, the reserve, which requests beyond their
//! share (a flooder's bulk) cannot touch; so however many bulk requests fill the first
//! budget, a client that keeps to its share (an honest trader's single orders) is still
//! admitted, and the queue never holds more than two budgets. A client with nothing waiting
//! may send a request larger than its share (else a bulk could never enter), within the
//! first budget; an idle queue takes any request.
//!
//! **Accounts' shares.** One claimed signer may have at most `budget / ACCOUNT_SHARE_DIVISOR`
//! actions waiting, so a flooder cannot take an account's traders' room by opening
//! connections either.
//!
//! **Service order** (`FairQueue`): deficit round-robin across clients, so a one-action
//! request waits for at most one quantum of each other client's work, not for every
//! bulk queued before it. Within a client, requests keep their order (a WebSocket
//! session's actions are sequenced as sent).
//!
//! **From the headers first.** The same decision is taken before a request's body is read,
//! with the actions its headers promise (`Intake::precheck`), so a flood's bulk is refused
//! without being parsed; it is taken again with the real count once parsed.
//!
//! The decisions are pure functions; the rate is measured by the caller from completions.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// How the queue budget is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePolicy {
    /// The longest an admitted action should wait for the actions ahead of it.
    pub max_queue_wait: Duration,
    /// The budget when the measured rate would give less (idle, or just started).
    pub min_budget_actions: u64,
}

/// The queue budget in actions at `rate_per_s`: what the executor completes within the
/// wait bound, never below the floor.
pub fn budget(policy: &QueuePolicy, rate_per_s: u64) -> u64 {
    let wait_ms = u64::try_from(policy.max_queue_wait.as_millis()).unwrap_or(u64::MAX);
    (rate_per_s.saturating_mul(wait_ms) / 1_000).max(policy.min_budget_actions)
}

/// The fewest actions let through to verification and execution at once, whatever the
/// rate: enough to keep every core's signature checks and the executor's group commit fed
/// (at ~10k recoveries/s on 2 cores, 128 actions are about 13 ms of work).
pub const MIN_DISPATCH_WINDOW_ACTIONS: u64 = 128;

/// The dispatch window at `rate_per_s`: the actions verified or executed at once, so an
/// action let through waits for at most about half the wait bound's worth of work ahead of
/// it. It follows the measured rate rather than the budget, whose floor keeps room for
/// one account's pipelined actions but would make the window (and an honest trader's wait
/// behind a flood) longer than the bound on a slow machine.
pub fn dispatch_window(policy: &QueuePolicy, rate_per_s: u64) -> u64 {
    let wait_ms = u64::try_from(policy.max_queue_wait.as_millis()).unwrap_or(u64::MAX);
    (rate_per_s.saturating_mul(wait_ms) / 2_000).max(MIN_DISPATCH_WINDOW_ACTIONS)
}

/// The queue as a request from one client finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// Actions admitted and not yet answered, all clients.
    pub queued: u64,
    /// Of those, this client's.
    pub client_queued: u64,
    /// Clients with actions waiting, this one counted.
    pub active_clients: u64,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The queue holds `limit` actions' worth already (the budget, or with the reserve).
    Full { queued: u64, limit: u64 },
    /// The client already has `queued` actions waiting; its share is `share`.
    ClientShare { queued: u64, share: u64 },
}

/// One client's share of `budget` when `active_clients` share it.
pub fn client_share(budget: u64, active_clients: u64) -> u64 {
    (budget / active_clients.max(1)).max(1)
}

/// Whether a request of `n` actions may join the queue at `load`.
pub fn admit(budget: u64, load: Load, n: u64) -> Result<(), Refusal> {
    if load.queued == 0 {
        return Ok(());
    }
    let share = client_share(budget, load.active_clients);
    let within_share = load.client_queued.saturating_add(n) <= share;
    if !within_share && load.client_queued > 0 {
        return Err(Refusal::ClientShare {
            queued: load.client_queued,
            share,
        });
    }
    // The reserve (a second budget) is for requests within their client's share.
    let limit = if within_share {
        budget.saturating_mul(2)
    } else {
        budget
    };
    if load.queued.saturating_add(n) <= limit {
        Ok(())
    } else {
        Err(Refusal::Full {
            queued: load.queued,
            limit,
        })
    }
}

/// Fairness between accounts: one account may have at most `budget / ACCOUNT_SHARE_DIVISOR`
/// of its actions waiting (never fewer than `MIN_ACCOUNT_SHARE`). Accounts are the
/// actions' claimed signers (checked only later, by signature recovery: a forger's claims
/// count against the account it names, so it cannot spend another's share for long).
pub const ACCOUNT_SHARE_DIVISOR: u64 = 8;

/// The smallest account share, whatever the budget.
pub const MIN_ACCOUNT_SHARE: u64 = 16;

/// One account's share of the queue at `budget`.
pub fn account_share(budget: u64) -> u64 {
    (budget / ACCOUNT_SHARE_DIVISOR).max(MIN_ACCOUNT_SHARE)
}

/// Whether an account with `waiting` actions may add `n`: within its share, or anything
/// when it has nothing waiting (so a large bulk of one account still enters an idle queue).
pub fn admits_account(share: u64, waiting: u64, n: u64) -> bool {
    waiting == 0 || waiting.saturating_add(n) <= share
}

/// Deficit round-robin over clients `K` of items `T` with a cost in actions. Each turn a
/// client is credited `quantum` and served while its next item's cost is within its credit;
/// a client whose queue empties leaves the round and its credit is dropped. Clients take
/// turns in the order they joined; `BTreeMap` keeps it deterministic.
#[derive(Debug)]
pub struct FairQueue<K, T> {
    quantum: u64,
    backlogs: BTreeMap<K, Backlog<T>>,
    /// Clients with items, the one whose turn it is first.
    ring: VecDeque<K>,
}

#[derive(Debug)]
struct Backlog<T> {
    items: VecDeque<(u64, T)>,
    deficit: u64,
    /// Whether the client at the front of the ring got this turn's quantum yet.
    credited: bool,
}

impl<K: Ord + Clone, T> FairQueue<K, T> {
    pub fn new(quantum: u64) -> FairQueue<K, T> {
        FairQueue {
            quantum: quantum.max(1),
            backlogs: BTreeMap::new(),
            ring: VecDeque::new(),
        }
    }

    /// Queues `item` of `cost` actions behind `client`'s earlier ones.
    pub fn push(&mut self, client: K, cost: u64, item: T) {
        let backlog = self.backlogs.entry(client.clone()).or_insert_with(|| {
            self.ring.push_back(client);
            Backlog {
                items: VecDeque::new(),
                deficit: 0,
                credited: false,
            }
        });
        backlog.items.push_back((cost, item));
    }

    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// The cost of the item `pop` would return, if any (the queue is not changed).
    pub fn peek_cost(&mut self) -> Option<u64> {
        self.advance()
            .map(|client| self.backlogs[&client].items[0].0)
    }

    /// The next item in deficit round-robin order, with its client.
    pub fn pop(&mut self) -> Option<(K, T)> {
        let client = self.advance()?;
        let backlog = self
            .backlogs
            .get_mut(&client)
            .expect("ring clients have a backlog");
        let (cost, item) = backlog.items.pop_front().expect("ring clients have items");
        backlog.deficit -= cost;
        if backlog.items.is_empty() {
            self.backlogs.remove(&client);
            self.ring.pop_front();
        }
        Some((client, item))
    }

    /// Turns the ring until its front client may be served its next item, and returns it.
    /// Ends: each full turn of the ring credits every client a quantum.
    fn advance(&mut self) -> Option<K> {
        loop {
            let client = self.ring.front()?.clone();
            let backlog = self
                .backlogs
                .get_mut(&client)
                .expect("ring clients have a backlog");
            let cost = backlog.items.front().expect("ring clients have items").0;
            if cost <= backlog.deficit {
                return Some(client);
            }
            if backlog.credited {
                // Its turn is over: to the back, keeping its credit for the next turn.
                backlog.credited = false;
                self.ring.rotate_left(1);
            } else {
                backlog.credited = true;
                backlog.deficit = backlog.deficit.saturating_add(self.quantum);
            }
        }
    }
}

/// The executor's completion rate, smoothed over samples of at least `SAMPLE`.
#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    since: Instant,
    completed_at_since: u64,
    per_sec: u64,
}

/// The shortest interval a rate sample covers.
const SAMPLE: Duration = Duration::from_millis(100);
/// Longer than this without a sample (idle), the window restarts instead of averaging the
/// idle time into the rate.
const STALE: Duration = Duration::from_secs(1);

impl Throughput {
    pub fn new(now: Instant) -> Throughput {
        Throughput {
            since: now,
            completed_at_since: 0,
            per_sec: 0,
        }
    }

    /// Updates with the running count of completed actions; returns the rate per second.
    pub fn observe(&mut self, now: Instant, completed: u64) -> u64 {
        let elapsed = now.saturating_duration_since(self.since);
        if elapsed < SAMPLE {
            return self.per_sec;
        }
        let done = completed.saturating_sub(self.completed_at_since);
        if elapsed <= STALE && done > 0 {
            let ms = u64::try_from(elapsed.as_millis())
                .unwrap_or(u64::MAX)
                .max(1);
            let sample = done.saturating_mul(1_000) / ms;
            // Exponential smoothing with weight 1/4 on the new sample.
            self.per_sec = if self.per_sec == 0 {
                sample
            } else {
                (self.per_sec.saturating_mul(3) + sample) / 4
            };
        }
        self.since = now;
        self.completed_at_since = completed;
        self.per_sec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_charged_by_size_within_their_client_share() {
        let full = |queued, limit| Err(Refusal::Full { queued, limit });
        let over = |queued, share| Err(Refusal::ClientShare { queued, share });
        // (budget, queued, client's queued, active clients, n, verdict)
        type Row = (u64, u64, u64, u64, u64, Result<(), Refusal>);
        let table: &[Row] = &[
            (1_000, 0, 0, 1, 50_000, Ok(())), // an idle queue takes anything
            (1_000, 900, 0, 10, 100, Ok(())), // share 100: within it
            (1_000, 900, 0, 10, 101, full(900, 1_000)), // a bulk beyond its share: first budget only
            (1_000, 800, 0, 10, 200, Ok(())),           // …where it still fits
            (1_000, 1_999, 0, 65, 1, Ok(())), // the flood filled the budget: a single uses the reserve
            (1_000, 2_000, 0, 65, 1, full(2_000, 2_000)), // the reserve is spent too
            (1_000, 500, 15, 65, 1, over(15, 15)), // share 1000/65 = 15, already held
            (1_000, 500, 14, 65, 1, Ok(())),
            (1_000, 500, 1, 2_000, 1, over(1, 1)), // more clients than budget: one each
            (1_000, 500, 400, 2, 200, over(400, 500)),
        ];
        for &(budget, queued, client_queued, active_clients, n, want) in table {
            let load = Load {
                queued,
                client_queued,
                active_clients,
            };
            assert_eq!(admit(budget, load, n), want, "{load:?} n {n}");
        }
    }

    #[test]
    fn the_dispatch_window_is_half_the_wait_bound_at_the_measured_rate() {
        let policy = QueuePolicy {
            max_queue_wait: Duration::from_millis(50),
            min_budget_actions: 1_024,
        };
        // (measured rate per second, window in actions)
        let table: &[(u64, u64)] = &[
            (0, MIN_DISPATCH_WINDOW_ACTIONS), // idle or just started: the floor
            (5_000, MIN_DISPATCH_WINDOW_ACTIONS), // 125 actions of 25 ms: the floor
            (10_000, 250),                    // 25 ms of work, not the budget floor's 512
            (100_000, 2_500),                 // a fast machine: half the budget, as before
            (u64::MAX, u64::MAX / 2_000),
        ];
        for &(rate, want) in table {
            assert_eq!(dispatch_window(&policy, rate), want, "rate {rate}");
            assert!(
                dispatch_window(&policy, rate)
                    <= budget(&policy, rate).max(MIN_DISPATCH_WINDOW_ACTIONS)
            );
        }
    }

    #[test]
    fn each_account_gets_its_share_of_the_budget() {
        // (budget, the account's waiting actions, n, admitted)
        let table: &[(u64, u64, u64, bool)] = &[
            (1_024, 0, 5_000, true), // nothing waiting: any request
            (1_024, 100, 28, true),  // share 128
            (1_024, 100, 29, false),
            (1_024, 128, 1, false),
            (64, 15, 1, true), // the floor: 16, not 8
            (64, 16, 1, false),
        ];
        for &(budget, waiting, n, want) in table {
            let share = account_share(budget);
            assert_eq!(
                admits_account(share, waiting, n),
                want,
                "{budget} {waiting} {n}"
            );
        }
    }

    /// `heavy` clients keep a deep backlog of `cost`-action requests; one light client sends
    /// a one-action request each time its last one is served. Every light request must be
    /// served before `heavy · (quantum + cost)` actions of others (one turn of each), i.e.
    /// within one round, and the heavy clients must split the rest evenly.
    #[test]
    fn a_light_client_is_served_within_one_round_of_heavy_ones() {
        // (heavy clients, cost of a heavy request, quantum)
        let table: &[(u64, u64, u64)] = &[
            (1, 1, 1),
            (4, 500, 64),
            (64, 100, 64),
            (64, 10_000, 64),
            (200, 16, 16),
            (7, 3, 100),
        ];
        const LIGHT: u64 = u64::MAX;
        for &(heavy, cost, quantum) in table {
            let mut q: FairQueue<u64, u64> = FairQueue::new(quantum);
            for client in 0..heavy {
                for _ in 0..4 {
                    q.push(client, cost, cost);
                }
            }
            q.push(LIGHT, 1, 1);
            let bound = heavy * (quantum + cost);
            let mut served = vec![0u64; heavy as usize];
            let (mut since_light, mut light_served) = (0u64, 0u64);
            let mut pops = 0;
            while light_served < 50 && pops < 100_000 {
                pops += 1;
                let (client, actions) = q.pop().expect("never empty");
                if client == LIGHT {
                    assert!(
                        since_light <= bound,
                        "{heavy} {cost} {quantum}: waited {since_light}"
                    );
                    light_served += 1;
                    since_light = 0;
                    q.push(LIGHT, 1, 1);
                } else {
                    since_light += actions;
                    served[client as usize] += actions;
                    q.push(client, cost, cost); // its backlog stays deep
                }
            }
            assert_eq!(
                light_served, 50,
                "{heavy} {cost} {quantum}: the light client was served"
            );
            let (min, max) = (served.iter().min().unwrap(), served.iter().max().unwrap());
            assert!(
                max - min <= 2 * (quantum + cost),
                "{heavy} {cost} {quantum}: heavy clients served {min}..{max}"
            );
        }
    }

    #[test]
    fn a_client_requests_keep_their_order_and_the_queue_empties() {
        let mut q: FairQueue<char, u32> = FairQueue::new(2);
        for (client, cost, item) in [
            ('a', 3, 1),
            ('b', 1, 2),
            ('a', 1, 3),
            ('b', 5, 4),
            ('a', 1, 5),
        ] {
            q.push(client, cost, item);
        }
        let mut order = Vec::new();
        while let Some(cost) = q.peek_cost() {
            let (client, item) = q.pop().expect("peeked");
            order.push((client, item, cost));
        }
        assert!(q.is_empty());
        // a: credit 2 < 3, turn over; b: 2 → item 2 (1 left < 5); a: 4 → items 1 and 3;
        // b: 3 < 5; a: 2 → item 5 (a leaves); b: 5 → item 4.
        assert_eq!(
            order,
            [
                ('b', 2, 1),
                ('a', 1, 3),
                ('a', 3, 1),
                ('a', 5, 1),
                ('b', 4, 5)
            ]
        );
    }

    #[test]
    fn the_rate_follows_completions_and_ignores_idle_time() {
        let t0 = Instant::now();
        let mut t = Throughput::new(t0);
        assert_eq!(
            t.observe(t0 + Duration::from_millis(50), 500),
            0,
            "too short a sample"
        );
        assert_eq!(t.observe(t0 + Duration::from_millis(100), 1_000), 10_000);
        let smoothed = t.observe(t0 + Duration::from_millis(200), 3_000);
        assert_eq!(smoothed, (10_000 * 3 + 20_000) / 4);
        // Five idle seconds: the window restarts, the rate is kept.
        assert_eq!(t.observe(t0 + Duration::from_secs(5), 3_000), smoothed);
        assert_eq!(
            t.observe(t0 + Duration::from_millis(5_100), 3_000),
            smoothed
        );
    }
}
