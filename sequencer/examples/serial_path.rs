//! The serial path alone, as `cargo bench -p client --bench pipeline` measures it in row
//! `(e)`: the executor's `Core::sequence` (matching, tree updates, chunk roots, receipts,
//! the journal entries handed off) on one core, over the same seeded workload (seed 44,
//! 100 traders) in jobs of 500, signatures recovered beforehand and not timed. Printed
//! beside one core's k256 recovery rate measured in the same run, so the figure carries
//! over between shared machines as a ratio. Without the pipeline's HTTP, settlement layer
//! and flood, so it builds and runs in a fraction of the time: the tool for profiling
//! (`perf record`) and for before/after comparisons of the serial path (issue #14).
//!
//! `cargo run --profile bench -p sequencer --example serial_path [actions] [rounds]`
//! (defaults 10,000 and 3; the best round is reported). The bench profile (fat LTO, one
//! codegen unit) is what `cargo bench` builds, so its figures and this one's compare;
//! `--release` works too, but its k256 rate moves between builds.

// A measurement tool reads the clock and reports rates as floats; the ban is for
// consensus code.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use protocol::action::Tx;
use protocol::signing::{recover_signer, signing_digest};
use protocol::workload::Workload;
use sequencer::executor::serial_timing::time_serial_path;
use sequencer::executor::{Verified, now_ms};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEPOSIT: u64 = 100_000_000_000;

/// The workload's user actions, verified and hashed (as the intake would).
fn verified(workload: &mut Workload, count: usize, now_ms: u64) -> Vec<Verified> {
    let domain = workload.domain();
    let oracles = workload.genesis.oracles.clone();
    let mut txs = workload.price_updates(now_ms);
    txs.extend((0..count).map(|_| workload.next_tx(now_ms)));
    txs.into_iter()
        .filter(|tx| matches!(tx, Tx::User { .. }))
        .map(|tx| {
            let signer = protocol::batch::verify_tx(&tx, &domain, &oracles);
            Verified::from((tx, signer))
        })
        .collect()
}

/// One round: `serial_timing::time_serial_path` over a fresh workload. Returns (actions,
/// seconds).
fn round(count: usize) -> (usize, f64) {
    let mut workload = Workload::new(44, 100);
    let genesis = Arc::new(workload.genesis.clone());
    let now = now_ms();
    let deposits = workload.deposit_messages(DEPOSIT);
    let verified = verified(&mut workload, count, now);
    let (n, took) = time_serial_path(genesis, deposits, verified, now);
    (n, took.as_secs_f64())
}

/// k256 recoveries per second on this one core, over the workload's own signatures.
fn recoveries_per_second() -> f64 {
    let mut workload = Workload::new(44, 100);
    let domain = workload.domain();
    let inputs: Vec<_> = (0..256)
        .filter_map(|_| match workload.next_tx(0) {
            Tx::User { action } => {
                Some((signing_digest(&action.action, &domain), action.signature))
            }
            Tx::L1 { .. } => None,
        })
        .collect();
    let budget = Duration::from_secs(1);
    let started = Instant::now();
    let mut done = 0usize;
    while started.elapsed() < budget {
        let (digest, signature) = &inputs[done % inputs.len()];
        std::hint::black_box(recover_signer(digest, signature).expect("recovers"));
        done += 1;
    }
    done as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let count = args.first().copied().unwrap_or(10_000);
    let rounds = args.get(1).copied().unwrap_or(3);
    let sig = recoveries_per_second();
    let best = (0..rounds)
        .map(|_| {
            let (n, seconds) = round(count);
            n as f64 / seconds
        })
        .fold(0.0, f64::max);
    println!(
        "serial path (Core::sequence, one core): {best:.0} actions/s = {:.2} µs per action; k256 one core {sig:.0}/s; ratio {:.2}",
        1e6 / best,
        best / sig
    );
}
