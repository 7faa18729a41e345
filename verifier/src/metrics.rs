//! Prometheus text exposition (`GET /metrics`), written by hand: a few counters, gauges and
//! two fixed-bucket histograms need no library.
//!
//! Re-execution rate = actions re-executed / seconds spent applying events (signature
//! recovery included). Detection latency = L1 blocks from a bad batch's posting to our
//! first submission of its proof, and the wall-clock seconds from receiving its
//! `batch_posted` event to that submission.

use protocol::api::verifier::StatusResponse;
use service_shell::metrics::{Exposition, Kind};
use std::collections::BTreeMap;

/// A cumulative histogram with fixed upper bounds.
#[derive(Debug, Clone)]
pub struct Histogram {
    bounds: Vec<f64>,
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    pub fn new(bounds: &[f64]) -> Histogram {
        Histogram {
            bounds: bounds.to_vec(),
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    pub fn observe(&mut self, value: f64) {
        for (bound, count) in self.bounds.iter().zip(&mut self.counts) {
            if value <= *bound {
                *count += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    fn render(&self, out: &mut Exposition, name: &str, help: &str) {
        // `observe` counts a value in every bucket it fits, so the counts are cumulative.
        let buckets = self.bounds.iter().copied().zip(self.counts.iter().copied());
        out.histogram(name, help, buckets, self.sum, self.count);
    }
}

/// What this process measured (the persisted totals are in the status).
#[derive(Debug, Clone)]
pub struct Metrics {
    pub actions_reexecuted: u64,
    pub reexecution_seconds: f64,
    pub poll_errors: u64,
    /// Feed sessions closed because a send stayed blocked (`GET /v1/stream`).
    pub feed_dropped_slow: u64,
    /// Submissions by the outcome label they got.
    pub submissions: BTreeMap<&'static str, u64>,
    pub detection_blocks: Histogram,
    pub detection_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            actions_reexecuted: 0,
            reexecution_seconds: 0.0,
            poll_errors: 0,
            feed_dropped_slow: 0,
            submissions: BTreeMap::new(),
            detection_blocks: Histogram::new(&[0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]),
            detection_seconds: Histogram::new(&[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
        }
    }
}

impl Metrics {
    /// Actions per second of re-execution in this process (0 before any).
    pub fn reexecution_rate(&self) -> f64 {
        if self.reexecution_seconds > 0.0 {
            self.actions_reexecuted as f64 / self.reexecution_seconds
        } else {
            0.0
        }
    }
}

/// The exposition text for `status` and `metrics`.
pub fn render(status: &StatusResponse, metrics: &Metrics) -> String {
    let mut out = Exposition::new();
    let t = &status.totals;
    out.counter(
        "vigil_verifier_events_applied_total",
        "Settlement events applied (since the database was created).",
        t.events_applied.to_string(),
    );
    out.counter(
        "vigil_verifier_batches_verified_total",
        "Batches re-executed and found honest.",
        t.batches_verified.to_string(),
    );
    out.counter(
        "vigil_verifier_bad_batches_total",
        "Batches found with a wrong checkpoint.",
        t.bad_batches.to_string(),
    );
    out.counter(
        "vigil_verifier_actions_reexecuted_total",
        "Transactions re-executed, signatures included (since the database was created).",
        t.actions_reexecuted.to_string(),
    );
    out.counter(
        "vigil_verifier_reexecution_seconds_total",
        "Seconds spent applying events in this process.",
        metrics.reexecution_seconds.to_string(),
    );
    out.gauge(
        "vigil_verifier_reexecution_actions_per_second",
        "Re-execution rate in this process: actions re-executed per second of applying events.",
        format!("{:.1}", metrics.reexecution_rate()),
    );
    out.gauge(
        "vigil_verifier_cursor",
        "The last settlement event applied.",
        status.cursor.to_string(),
    );
    out.gauge(
        "vigil_verifier_synced_batch",
        "The newest batch followed (-1 before any).",
        status.synced_batch.map_or(-1, |i| i as i128).to_string(),
    );
    out.gauge(
        "vigil_verifier_verified_batch",
        "The newest batch verified honest (-1 before any).",
        status.verified_batch.map_or(-1, |i| i as i128).to_string(),
    );
    out.gauge(
        "vigil_verifier_lag_batches",
        "Live batches on the settlement layer not yet followed.",
        status.lag.batches.to_string(),
    );
    out.gauge(
        "vigil_verifier_lag_blocks",
        "L1 blocks between the head and the newest event applied.",
        status.lag.blocks.to_string(),
    );
    out.gauge(
        "vigil_verifier_lag_events",
        "Settlement events not yet applied.",
        status.lag.events.to_string(),
    );
    out.gauge(
        "vigil_verifier_halted",
        "1 when the replica cannot follow the chain any further.",
        u8::from(status.halted.is_some()).to_string(),
    );
    out.gauge(
        "vigil_verifier_audited_batch",
        "The newest honest batch whose post-state passed every named invariant (-1 before any).",
        status.audit.passed_batch.map_or(-1, i128::from),
    );
    out.gauge(
        "vigil_verifier_invariant_violated",
        "1 once an honest batch's post-state broke a named invariant (the engine is wrong).",
        u8::from(status.audit.violation.is_some()),
    );
    solvency(&mut out, status);
    out.counter(
        "vigil_verifier_poll_errors_total",
        "Failed requests to the settlement layer's event log.",
        metrics.poll_errors.to_string(),
    );
    out.counter(
        "vigil_verifier_feed_dropped_slow_total",
        "Feed sessions (GET /v1/stream) closed because a send stayed blocked for 5 s.",
        metrics.feed_dropped_slow.to_string(),
    );
    let mut by_outcome: BTreeMap<&str, u64> = [
        "unsubmitted",
        "upheld",
        "already_reverted",
        "too_late",
        "rejected",
    ]
    .into_iter()
    .map(|l| (l, 0))
    .collect();
    for c in &status.challenges {
        *by_outcome.entry(c.outcome.label()).or_default() += 1;
    }
    out.labelled(
        "vigil_verifier_challenges",
        Kind::Gauge,
        "Challenges by current outcome.",
        "outcome",
        by_outcome,
    );
    out.labelled(
        "vigil_verifier_challenge_submissions_total",
        Kind::Counter,
        "Proof submissions by answer.",
        "answer",
        &metrics.submissions,
    );
    metrics.detection_blocks.render(
        &mut out,
        "vigil_verifier_detection_latency_blocks",
        "L1 blocks from a bad batch's posting to the first submission of its proof.",
    );
    metrics.detection_seconds.render(
        &mut out,
        "vigil_verifier_detection_latency_seconds",
        "Seconds from receiving a bad batch to the first submission of its proof.",
    );
    out.finish()
}

/// The solvency figures of the newest audited batch, beside the settlement layer's escrow.
fn solvency(out: &mut Exposition, status: &StatusResponse) {
    let Some(s) = &status.solvency else {
        return;
    };
    out.gauge(
        "vigil_verifier_solvency_batch",
        "The batch the solvency figures are of.",
        s.batch_index,
    );
    out.gauge(
        "vigil_verifier_liabilities_base_units",
        "Deposits included minus withdrawals made on L2 (micro-USDC): what the rollup owes.",
        s.liabilities,
    );
    out.gauge(
        "vigil_verifier_insurance_fund_base_units",
        "The insurance fund's collateral (micro-USDC; negative: a deficit).",
        s.insurance_fund,
    );
    if let Some(l1) = &status.l1 {
        out.gauge(
            "vigil_verifier_escrow_surplus_base_units",
            "The settlement layer's escrow minus the liabilities (micro-USDC; never negative once caught up).",
            i128::from(l1.escrow) - s.liabilities,
        );
    }
    let interest = s.markets.iter().map(|m| (m.market, m.open_interest));
    out.labelled(
        "vigil_verifier_open_interest",
        Kind::Gauge,
        "Long open interest (= short) per market, in base units.",
        "market",
        interest,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let mut h = Histogram::new(&[1.0, 5.0]);
        for v in [0.5, 1.0, 3.0, 9.0] {
            h.observe(v);
        }
        let mut exposition = Exposition::new();
        h.render(&mut exposition, "x", "help");
        let out = exposition.finish();
        assert!(out.contains("x_bucket{le=\"1\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"5\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 4\n"), "{out}");
        assert!(out.contains("x_sum 13.5\nx_count 4\n"), "{out}");
    }

    #[test]
    fn the_rate_is_zero_before_any_work() {
        let mut m = Metrics::default();
        assert_eq!(m.reexecution_rate(), 0.0);
        m.actions_reexecuted = 50;
        m.reexecution_seconds = 0.5;
        assert_eq!(m.reexecution_rate(), 100.0);
    }
}
