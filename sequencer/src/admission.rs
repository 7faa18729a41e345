//! Admission by expected wait: a request joins the executor's queue only if the actions
//! already queued ahead of it would be done within `max_queue_wait` at the rate the
//! executor is completing them; otherwise it is refused at once (503 with `Retry-After`),
//! so an accepted request never sits for seconds behind a flood.
//!
//! A request is charged by its size, and bulk requests (more than `SMALL_REQUEST_ACTIONS`)
//! may fill only three quarters of the budget: so under a flood of bulk requests the last
//! quarter stays free for small ones (an honest trader's single orders), which therefore
//! keep being admitted, and the wait ahead of them stays within the bound. When nothing is queued any request is admitted (else a
//! bulk larger than the budget could never enter). The hard cap on actions in flight
//! (`max_inflight_actions`) still applies on top.
//!
//! The decision is a pure function; the rate is measured by the caller from completions.

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

/// Requests of at most this many actions may use the whole budget; larger ones three
/// quarters of it.
pub const SMALL_REQUEST_ACTIONS: u64 = 16;

/// Whether `n` more actions may join `queued` ones.
pub fn admits(policy: &QueuePolicy, rate_per_s: u64, queued: u64, n: u64) -> bool {
    let budget = budget(policy, rate_per_s);
    let limit = if n <= SMALL_REQUEST_ACTIONS {
        budget
    } else {
        budget / 4 * 3
    };
    queued == 0 || queued.saturating_add(n) <= limit
}

/// Fairness between accounts: one account may have at most `budget / ACCOUNT_SHARE_DIVISOR`
/// of its actions waiting (never fewer than `SMALL_REQUEST_ACTIONS`), so a flooding account
/// takes its share of the queue and the honest traders keep theirs. Accounts are the
/// actions' claimed signers (checked only later, by signature recovery: a forger's claims
/// count against the account it names, so it cannot spend another's share for long).
pub const ACCOUNT_SHARE_DIVISOR: u64 = 8;

/// One account's share of the queue at `budget`.
pub fn account_share(budget: u64) -> u64 {
    (budget / ACCOUNT_SHARE_DIVISOR).max(SMALL_REQUEST_ACTIONS)
}

/// Whether an account with `waiting` actions may add `n`: within its share, or anything
/// when it has nothing waiting (so a large bulk of one account still enters an idle queue).
pub fn admits_account(share: u64, waiting: u64, n: u64) -> bool {
    waiting == 0 || waiting.saturating_add(n) <= share
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

    const POLICY: QueuePolicy = QueuePolicy {
        max_queue_wait: Duration::from_millis(50),
        min_budget_actions: 100,
    };

    #[test]
    fn requests_are_charged_by_size_against_the_wait_budget() {
        // (rate/s, queued, n, admitted)
        let table: &[(u64, u64, u64, bool)] = &[
            (0, 0, 10_000, true),   // an empty queue takes anything
            (0, 1, 100, false),     // floor 100, bulk limit 75
            (0, 25, 50, true),      // exactly the bulk limit
            (0, 84, 16, true),      // a small request may use the whole floor
            (0, 85, 16, false),     // one over
            (20_000, 999, 1, true), // budget 1,000 at 20k/s and 50 ms
            (20_000, 1_000, 1, false),
            (20_000, 700, 50, true),  // a bulk within three quarters
            (20_000, 701, 50, false), // a bulk past three quarters…
            (20_000, 701, 1, true),   // …where a single still fits
            (1_000, 99, 1, true),     // the floor, not 50, at 1k/s
        ];
        for &(rate, queued, n, want) in table {
            assert_eq!(
                admits(&POLICY, rate, queued, n),
                want,
                "{rate} {queued} {n}"
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
