//! Prometheus metrics (`GET /metrics`, text exposition format): throughput, the
//! submission latency histogram, group-commit sizes, batch progress and lag, queue
//! depths, and admission per connection (a histogram of each decision's queued actions and
//! the top connections by traffic, so label cardinality stays bounded however many
//! connections there are). Plain atomics on the hot path; the per-connection table is a
//! small map behind a mutex, touched once per request.

use crate::intake::Client;
use service_shell::metrics::{Exposition, Kind};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Upper bounds (seconds) of the latency histogram buckets.
const LATENCY_BUCKETS: [f64; 13] = [
    0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Relaxed);
    }

    fn render(&self, out: &mut Exposition, name: &str, help: &str) {
        let mut cumulative = 0;
        let buckets = LATENCY_BUCKETS.iter().zip(&self.buckets).map(|(bound, n)| {
            cumulative += n.load(Relaxed);
            (bound, cumulative)
        });
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        out.histogram(name, help, buckets, sum, self.count.load(Relaxed));
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    pub accepted: AtomicU64,
    pub rejected: AtomicU64,
    /// Requests answered 503 because a budget was spent.
    pub shed: AtomicU64,
    pub submit_latency: Histogram,
    pub commits: AtomicU64,
    pub committed_ops: AtomicU64,
    pub commit_latency: Histogram,
    /// Jobs waiting in the executor for an earlier ticket.
    pub executor_parked: AtomicU64,
    pub last_sealed: AtomicU64,
    pub last_posted: AtomicU64,
    pub last_finalized: AtomicU64,
    pub reverts: AtomicU64,
    /// Posting rounds that posted at least one batch.
    pub posting_rounds: AtomicU64,
    /// Settlement-layer requests the posting rounds made.
    pub posting_requests: AtomicU64,
    /// Feed sessions closed because a send stayed blocked (the reader stopped reading).
    pub feed_dropped_slow: AtomicU64,
    /// Admission decisions per connection.
    pub connections: ConnectionStats,
    rate: Mutex<Option<(Instant, u64, f64)>>,
}

/// Upper bounds (actions) of the per-connection queued-actions histogram.
const QUEUED_BUCKETS: [u64; 9] = [1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536];

/// One per-connection family of `/metrics`: its name, help and value.
type TopFamily = (&'static str, &'static str, fn(&Tally) -> u64);

/// Connections whose figures are kept; beyond this the least busy one is forgotten.
pub const TRACKED_CONNECTIONS: usize = 1_024;

/// Connections listed by name in `/metrics` (the busiest).
pub const TOP_CONNECTIONS: usize = 5;

/// Admission per connection: how many actions each decision found the connection had
/// queued (this request's included), and, for the busiest connections, the actions
/// admitted and the requests shed.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    queued: [AtomicU64; QUEUED_BUCKETS.len()],
    decisions: AtomicU64,
    queued_sum: AtomicU64,
    admitted_requests: AtomicU64,
    table: Mutex<HashMap<Client, Tally>>,
}

/// One connection's figures.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Actions queued at its latest decision, this request's included.
    pub queued: u64,
    pub admitted_actions: u64,
    pub shed_requests: u64,
}

impl Tally {
    fn traffic(&self) -> u64 {
        self.admitted_actions.saturating_add(self.shed_requests)
    }
}

impl ConnectionStats {
    /// A decision on a request of `actions` from `client`, which had `waiting` actions
    /// queued before it.
    pub fn observe(&self, client: Client, waiting: u64, actions: u64, admitted: bool) {
        let queued = waiting.saturating_add(actions);
        if let Some(i) = QUEUED_BUCKETS.iter().position(|b| queued <= *b) {
            self.queued[i].fetch_add(1, Relaxed);
        }
        self.decisions.fetch_add(1, Relaxed);
        self.queued_sum.fetch_add(queued, Relaxed);
        if admitted {
            self.admitted_requests.fetch_add(1, Relaxed);
        }
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if !table.contains_key(&client) && table.len() >= TRACKED_CONNECTIONS {
            let quietest = table
                .iter()
                .min_by_key(|(_, t)| t.traffic())
                .map(|(c, _)| *c);
            if let Some(quietest) = quietest {
                table.remove(&quietest);
            }
        }
        let tally = table.entry(client).or_default();
        tally.queued = queued;
        if admitted {
            tally.admitted_actions = tally.admitted_actions.saturating_add(actions);
        } else {
            tally.shed_requests += 1;
        }
    }

    /// The `n` busiest connections (admitted actions plus shed requests), busiest first.
    pub fn top(&self, n: usize) -> Vec<(Client, Tally)> {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<(Client, Tally)> = table.iter().map(|(c, t)| (*c, *t)).collect();
        all.sort_by_key(|(c, t)| (std::cmp::Reverse(t.traffic()), *c));
        all.truncate(n);
        all
    }

    fn render(&self, out: &mut Exposition) {
        let mut cumulative = 0;
        let buckets = QUEUED_BUCKETS.iter().zip(&self.queued).map(|(bound, n)| {
            cumulative += n.load(Relaxed);
            (bound, cumulative)
        });
        out.histogram(
            "vigil_seq_connection_queued_actions",
            "At each admission decision, the actions its connection had queued, the request's own included.",
            buckets,
            self.queued_sum.load(Relaxed),
            self.decisions.load(Relaxed),
        );
        out.counter(
            "vigil_seq_requests_admitted_total",
            "Requests admitted to the queue (each POST or WebSocket frame).",
            self.admitted_requests.load(Relaxed),
        );
        let top = self.top(TOP_CONNECTIONS);
        let peer = |c: &Client| {
            c.0.map_or_else(|| "internal".to_string(), |a| a.to_string())
        };
        let families: [TopFamily; 3] = [
            (
                "vigil_seq_top_connection_queued_actions",
                "The busiest connections (at most 5): actions queued at their latest admission decision.",
                |t| t.queued,
            ),
            (
                "vigil_seq_top_connection_admitted_actions",
                "The busiest connections (at most 5): actions admitted.",
                |t| t.admitted_actions,
            ),
            (
                "vigil_seq_top_connection_shed_requests",
                "The busiest connections (at most 5): requests shed (503).",
                |t| t.shed_requests,
            ),
        ];
        for (name, help, value) in families {
            let samples = top.iter().map(|(c, t)| (peer(c), value(t)));
            out.labelled(name, Kind::Gauge, help, "peer", samples);
        }
    }
}

/// What one scrape samples beside the counters: the intake's queue and the auditor.
#[derive(Debug, Clone, Copy)]
pub struct QueueSample {
    /// Actions admitted and not yet answered.
    pub inflight: u64,
    /// Actions the admission policy allows queued now.
    pub budget: u64,
    /// The newest batch whose post-state passed the invariant audit (-1: none yet).
    pub audited_batch: i128,
    /// An invariant violation was found.
    pub invariant_violated: bool,
}

impl Metrics {
    pub fn observe_executed(&self, accepted: u64, rejected: u64) {
        self.accepted.fetch_add(accepted, Relaxed);
        self.rejected.fetch_add(rejected, Relaxed);
    }

    pub fn observe_commit(&self, ops: usize, took: Duration) {
        self.commits.fetch_add(1, Relaxed);
        self.committed_ops.fetch_add(ops as u64, Relaxed);
        self.commit_latency.observe(took);
    }

    /// Accepted actions per second since the previous call that was at least a second ago
    /// (scrapes closer together reuse the last figure).
    pub fn actions_per_second(&self) -> f64 {
        let now = Instant::now();
        let accepted = self.accepted.load(Relaxed);
        let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
        match *rate {
            Some((at, _, last)) if now.duration_since(at) < Duration::from_secs(1) => last,
            Some((at, count_then, _)) => {
                let secs = now.duration_since(at).as_secs_f64();
                let r = accepted.saturating_sub(count_then) as f64 / secs;
                *rate = Some((now, accepted, r));
                r
            }
            None => {
                *rate = Some((now, accepted, 0.0));
                0.0
            }
        }
    }

    /// The exposition text; the intake's `queue` and `sealed_unposted` are sampled by the
    /// caller.
    pub fn render(&self, queue: QueueSample, sealed_unposted: u64) -> String {
        let mut out = Exposition::new();
        out.counter(
            "vigil_seq_actions_accepted_total",
            "Actions accepted and made durable.",
            self.accepted.load(Relaxed),
        );
        out.counter(
            "vigil_seq_actions_rejected_total",
            "Actions rejected by the engine (nothing changed).",
            self.rejected.load(Relaxed),
        );
        out.counter(
            "vigil_seq_requests_shed_total",
            "Requests answered 503 because a budget was spent.",
            self.shed.load(Relaxed),
        );
        out.counter(
            "vigil_seq_feed_dropped_slow_total",
            "Feed sessions closed because their reader stopped reading (a send blocked for 5 s).",
            self.feed_dropped_slow.load(Relaxed),
        );
        out.gauge(
            "vigil_seq_actions_per_second",
            "Accepted actions per second over the last scrape interval (at least 1 s).",
            self.actions_per_second(),
        );
        self.connections.render(&mut out);
        self.submit_latency.render(
            &mut out,
            "vigil_seq_submit_seconds",
            "Time from request to durable answer for POST /v1/tx and /v1/txs.",
        );
        out.counter(
            "vigil_seq_commits_total",
            "Group commits (one fsync each).",
            self.commits.load(Relaxed),
        );
        out.counter(
            "vigil_seq_committed_writes_total",
            "Writes carried by group commits.",
            self.committed_ops.load(Relaxed),
        );
        self.commit_latency.render(
            &mut out,
            "vigil_seq_commit_seconds",
            "Duration of one group commit.",
        );
        out.gauge(
            "vigil_seq_inflight_actions",
            "Actions admitted and not yet answered (queue depth).",
            queue.inflight as f64,
        );
        out.gauge(
            "vigil_seq_queue_budget_actions",
            "Actions the queue admits now: the executor's measured rate times the queue-wait bound, at least the floor.",
            queue.budget as f64,
        );
        out.gauge(
            "vigil_seq_executor_parked_jobs",
            "Verified jobs waiting for an earlier arrival.",
            self.executor_parked.load(Relaxed) as f64,
        );
        out.gauge(
            "vigil_seq_last_sealed_batch",
            "Index of the newest sealed batch.",
            self.last_sealed.load(Relaxed) as f64,
        );
        out.gauge(
            "vigil_seq_last_posted_batch",
            "Index of the newest batch accepted by the settlement layer.",
            self.last_posted.load(Relaxed) as f64,
        );
        out.gauge(
            "vigil_seq_last_finalized_batch",
            "Index of the newest finalized batch.",
            self.last_finalized.load(Relaxed) as f64,
        );
        out.gauge(
            "vigil_seq_batch_lag",
            "Sealed batches not yet accepted by the settlement layer.",
            sealed_unposted as f64,
        );
        out.counter(
            "vigil_seq_reverts_total",
            "Reverts processed (fraud recovery).",
            self.reverts.load(Relaxed),
        );
        out.counter(
            "vigil_seq_posting_rounds_total",
            "Posting rounds that posted at least one batch (a backlog drains in one).",
            self.posting_rounds.load(Relaxed),
        );
        out.counter(
            "vigil_seq_posting_requests_total",
            "Settlement-layer requests of the posting rounds (a backlog costs about one per batch).",
            self.posting_requests.load(Relaxed),
        );
        out.gauge(
            "vigil_seq_audited_batch",
            "Newest batch whose post-state passed every named invariant (-1: none yet).",
            queue.audited_batch,
        );
        out.gauge(
            "vigil_seq_invariant_violated",
            "1 once a state invariant failed (posting and intake stop).",
            u8::from(queue.invariant_violated),
        );
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_connections_are_listed_and_the_table_stays_bounded() {
        let stats = ConnectionStats::default();
        let peer = |port: u16| Client(Some(std::net::SocketAddr::from(([127, 0, 0, 1], port))));
        // (connection, queued before, actions, admitted)
        let decisions: &[(u16, u64, u64, bool)] = &[
            (1, 0, 100, true),
            (1, 100, 100, false),
            (2, 0, 1, true),
            (3, 0, 5, true),
            (1, 0, 100, true),
        ];
        for &(port, waiting, n, admitted) in decisions {
            stats.observe(peer(port), waiting, n, admitted);
        }
        let top = stats.top(2);
        assert_eq!(top[0].0, peer(1));
        let busiest = Tally {
            queued: 100,
            admitted_actions: 200,
            shed_requests: 1,
        };
        assert_eq!(top[0].1, busiest);
        assert_eq!(top[1].0, peer(3));
        for port in 10..(10 + TRACKED_CONNECTIONS as u16) {
            stats.observe(peer(port), 0, 1, true);
        }
        let table = stats.table.lock().unwrap().len();
        assert_eq!(table, TRACKED_CONNECTIONS, "the quietest are forgotten");
        assert_eq!(stats.top(1)[0].0, peer(1), "the busiest stays");
        let mut out = Exposition::new();
        stats.render(&mut out);
        let text = out.finish();
        assert!(
            text.contains("vigil_seq_connection_queued_actions_bucket{le=\"256\"}"),
            "{text}"
        );
        let listed = text
            .lines()
            .filter(|l| l.starts_with("vigil_seq_top_connection_shed_requests{"))
            .count();
        assert_eq!(listed, TOP_CONNECTIONS);
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_render_parses() {
        let m = Metrics::default();
        m.submit_latency.observe(Duration::from_micros(300));
        m.submit_latency.observe(Duration::from_millis(3));
        m.submit_latency.observe(Duration::from_secs(10));
        m.observe_executed(5, 2);
        let text = m.render(
            QueueSample {
                inflight: 7,
                budget: 1_024,
                audited_batch: 3,
                invariant_violated: false,
            },
            1,
        );
        assert!(
            text.contains("vigil_seq_submit_seconds_bucket{le=\"0.0005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("vigil_seq_submit_seconds_bucket{le=\"0.005\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("vigil_seq_submit_seconds_bucket{le=\"+Inf\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("vigil_seq_actions_accepted_total 5\n"));
        assert!(text.contains("vigil_seq_inflight_actions 7\n"));
        assert!(text.contains("vigil_seq_batch_lag 1\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
