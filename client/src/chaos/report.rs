//! The run's summary: what was done (cycles, kills by service, actions acknowledged,
//! refused or unanswered), what was found (each guarantee's violations, zero in a good
//! run), and how long a killed service took from its start to serving again.

use super::process::Role;
use crate::bench::percentile;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The checks' counters; every field but the totals must stay zero.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    /// Acknowledged actions not in the chain after a restart.
    pub lost: u64,
    /// Transactions found twice in the chain.
    pub duplicated: u64,
    /// Acknowledged actions whose chain receipt differs from their 2xx's.
    pub changed_receipts: u64,
    /// Sampled look-ups by hash, and those the sequencer answered wrongly.
    pub lookups: u64,
    pub lookup_mismatches: u64,
    /// From-genesis replays of the posted chain, and those that agreed with the replica.
    pub replays: u64,
    pub replays_equal: u64,
    pub replay_mismatches: u64,
    pub verifier_checks: u64,
    pub verifier_disagreements: u64,
    /// Restarts after which the L1 tip did not advance although batches waited.
    pub posting_stalls: u64,
    /// Batches on the settlement layer, and verified by the verifier, at the last check.
    pub l1_batches: u64,
    pub verified_batches: u64,
    /// The first few problems, described.
    pub examples: Vec<String>,
}

impl Findings {
    pub fn violations(&self) -> u64 {
        self.lost
            + self.duplicated
            + self.changed_receipts
            + self.lookup_mismatches
            + self.replay_mismatches
            + self.verifier_disagreements
            + self.posting_stalls
    }
}

/// Restart-to-serving times in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Restarts {
    pub count: usize,
    pub p50_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
}

impl Restarts {
    pub fn of(times: &[Duration]) -> Restarts {
        let mut sorted = times.to_vec();
        sorted.sort();
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Restarts {
            count: sorted.len(),
            p50_ms: ms(percentile(&sorted, 500)),
            p99_ms: ms(percentile(&sorted, 990)),
            max_ms: ms(sorted.last().copied().unwrap_or_default()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChaosReport {
    /// Replays the same kill schedule with `--seed`.
    pub seed: u64,
    pub cycles: u64,
    pub kills: BTreeMap<Role, u64>,
    pub acknowledged: u64,
    pub refused: BTreeMap<String, u64>,
    pub unanswered: u64,
    pub sealed_batches: u64,
    pub findings: Findings,
    pub restart: Restarts,
    pub restart_by_service: BTreeMap<Role, Restarts>,
    pub elapsed_s: u64,
    pub ok: bool,
}

impl ChaosReport {
    pub fn text(&self) -> String {
        let f = &self.findings;
        let kills: Vec<String> = self
            .kills
            .iter()
            .map(|(r, n)| format!("{} {n}", r.name()))
            .collect();
        let refused: u64 = self.refused.values().sum();
        let mut lines = vec![
            format!(
                "chaos: {} kill -9 cycles in {} s (seed {}; replay with --seed {})",
                self.cycles, self.elapsed_s, self.seed, self.seed
            ),
            format!("  killed: {}", kills.join(", ")),
            format!(
                "  actions: {} acknowledged, {refused} refused, {} unanswered; {} sealed batches, {} on L1, {} verified",
                self.acknowledged,
                self.unanswered,
                self.sealed_batches,
                f.l1_batches,
                f.verified_batches
            ),
            format!(
                "  lost {}, duplicated {}, changed receipts {}; look-ups by hash {} ({} wrong)",
                f.lost, f.duplicated, f.changed_receipts, f.lookups, f.lookup_mismatches
            ),
            format!(
                "  from-genesis replays {} ({} equal); verifier checks {} ({} disagreed); posting stalls {}",
                f.replays,
                f.replays_equal,
                f.verifier_checks,
                f.verifier_disagreements,
                f.posting_stalls
            ),
            format!(
                "  restart to serving: p50 {} ms, p99 {} ms, max {} ms over {} restarts",
                self.restart.p50_ms, self.restart.p99_ms, self.restart.max_ms, self.restart.count
            ),
        ];
        for (role, r) in &self.restart_by_service {
            lines.push(format!(
                "    {}: p50 {} ms, p99 {} ms ({} restarts)",
                role.name(),
                r.p50_ms,
                r.p99_ms,
                r.count
            ));
        }
        lines.extend(f.examples.iter().map(|e| format!("  PROBLEM: {e}")));
        lines.push(if self.ok {
            "  every guarantee held".into()
        } else {
            "  GUARANTEES VIOLATED".into()
        });
        lines.join("\n")
    }
}
