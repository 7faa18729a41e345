//! Prometheus metrics (`GET /metrics`, text exposition format): throughput, the
//! submission latency histogram, group-commit sizes, batch progress and lag, and queue
//! depths. Plain atomics: recording costs a few nanoseconds on the hot path.

use service_shell::metrics::Exposition;
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
    rate: Mutex<Option<(Instant, u64, f64)>>,
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
