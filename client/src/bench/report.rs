//! The bench report: throughput, latency percentiles, rejections by code and the ratio of
//! accepted actions/s to this machine's recoveries/s. Integer math throughout (rates per
//! second from microseconds, the ratio in basis points); text and JSON renderings.

use super::BenchConfig;
use super::load::LoadOutcome;
use crate::units::format_decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BenchReport {
    pub market: String,
    pub submitted: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Rejections by the sequencer's stable code (`unreachable` when no answer came).
    pub rejected_by_code: BTreeMap<String, u64>,
    pub concurrency: usize,
    /// `http` (one `POST /v1/tx` per order) or `ws` (the WebSocket intake).
    pub transport: super::Transport,
    /// Open loop: the offered rate (orders/s, scheduled by the clock); `null`: closed loop.
    pub offered_per_sec: Option<u64>,
    pub accounts: usize,
    pub elapsed_ms: u64,
    pub accepted_per_sec: u64,
    pub latency_p50_us: u64,
    pub latency_p99_us: u64,
    pub latency_p999_us: u64,
    /// k256 recoveries/s on all cores, measured in the same run.
    pub recoveries_per_sec: u64,
    /// accepted_per_sec / recoveries_per_sec, in basis points (10000 = equal).
    pub ratio_bps: u64,
    /// libsecp256k1 recoveries/s on all cores (the services' default backend), same run.
    pub libsecp_recoveries_per_sec: u64,
    /// accepted_per_sec / libsecp_recoveries_per_sec, in basis points.
    pub libsecp_ratio_bps: u64,
}

/// The nearest-rank `per_mille`‰ percentile of `sorted` (ascending); zero when empty.
pub fn percentile(sorted: &[Duration], per_mille: u64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let n = sorted.len() as u64;
    let rank = (n * per_mille).div_ceil(1_000).clamp(1, n);
    sorted[usize::try_from(rank - 1).expect("an index into the slice")]
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl BenchReport {
    pub(super) fn new(
        market: &str,
        config: &BenchConfig,
        outcome: LoadOutcome,
        [recoveries_per_sec, libsecp_recoveries_per_sec]: [u64; 2],
    ) -> BenchReport {
        let mut latencies = outcome.latencies;
        latencies.sort_unstable();
        let elapsed_us = u128::from(micros(outcome.elapsed).max(1));
        let accepted_per_sec =
            u64::try_from(u128::from(outcome.accepted) * 1_000_000 / elapsed_us).unwrap_or(0);
        let ratio = |per_sec: u64| {
            u64::try_from(u128::from(accepted_per_sec) * 10_000 / u128::from(per_sec.max(1)))
                .unwrap_or(u64::MAX)
        };
        BenchReport {
            market: market.to_string(),
            submitted: latencies.len() as u64,
            accepted: outcome.accepted,
            rejected: outcome.rejected.values().sum(),
            rejected_by_code: outcome.rejected,
            concurrency: config.load.concurrency,
            transport: config.load.transport,
            offered_per_sec: config.load.rate,
            accounts: config.load.accounts,
            elapsed_ms: u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX),
            accepted_per_sec,
            latency_p50_us: micros(percentile(&latencies, 500)),
            latency_p99_us: micros(percentile(&latencies, 990)),
            latency_p999_us: micros(percentile(&latencies, 999)),
            recoveries_per_sec,
            ratio_bps: ratio(recoveries_per_sec),
            libsecp_recoveries_per_sec,
            libsecp_ratio_bps: ratio(libsecp_recoveries_per_sec),
        }
    }

    /// The report for people.
    pub fn text(&self) -> String {
        let ms = |us: u64| format_decimal(us, 3, 1);
        let load = match self.offered_per_sec {
            Some(rate) => format!(
                "offered open-loop at {rate}/s (at most {} in flight; latency from each order's due time)",
                self.concurrency
            ),
            None => format!("{} in flight", self.concurrency),
        };
        let mut text = format!(
            "bench: {} orders on {} from {} accounts over {}, {load}, in {} s\naccepted            {} ({} actions/s)\nrejected            {}",
            self.submitted,
            self.market,
            self.accounts,
            match self.transport {
                super::Transport::Http => "HTTP (one POST /v1/tx each)",
                super::Transport::Ws => "WebSocket (/v1/tx/ws)",
            },
            format_decimal(self.elapsed_ms, 3, 2),
            self.accepted,
            self.accepted_per_sec,
            self.rejected
        );
        for (code, n) in &self.rejected_by_code {
            let _ = write!(text, "\n  {code:<18}{n}");
        }
        let _ = write!(
            text,
            "\nlatency             p50 {} ms  p99 {} ms  p99.9 {} ms\nsignature recovery  k256 {} /s, libsecp256k1 {} /s on this machine (all cores)\nratio               {} of k256, {} of libsecp256k1 (accepted actions/s ÷ recoveries/s)",
            ms(self.latency_p50_us),
            ms(self.latency_p99_us),
            ms(self.latency_p999_us),
            self.recoveries_per_sec,
            self.libsecp_recoveries_per_sec,
            format_decimal(self.ratio_bps, 4, 4),
            format_decimal(self.libsecp_ratio_bps, 4, 4)
        );
        text
    }
}
