//! The serial path timed alone: `Core::sequence` (matching, tree updates, chunk roots,
//! receipts, the journal entries handed off) on one thread, over actions verified
//! beforehand, in the jobs the intake would hand the executor. The one measurement behind
//! `cargo bench -p client --bench pipeline` row `(e)` and `examples/serial_path` (issue
//! #14), kept here so the two time the same thing.

use super::{Core, Verified};
use protocol::action::L1Message;
use protocol::genesis::Genesis;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Actions per job: a bulk request's worth, as the pipeline bench posts them.
pub const JOB_ACTIONS: usize = 500;
/// Transactions per batch, the sequencer's default.
const BATCH_MAX_TXS: usize = 1_000;

/// A fresh core at genesis with `deposits` included (not timed), then `verified` sequenced
/// in jobs of [`JOB_ACTIONS`] at `now_ms`, timed. The entries are kept as the executor
/// hands them to the writer, and dropped after the clock stops, as the writer would drop
/// them. Returns the actions sequenced and the time they took.
pub fn time_serial_path(
    genesis: Arc<Genesis>,
    deposits: Vec<(u64, L1Message)>,
    verified: Vec<Verified>,
    now_ms: u64,
) -> (usize, Duration) {
    let count = verified.len();
    let mut jobs: Vec<Vec<Verified>> = Vec::new();
    let mut rest = verified.into_iter().peekable();
    while rest.peek().is_some() {
        jobs.push(rest.by_ref().take(JOB_ACTIONS).collect());
    }
    let mut core = Core::new(genesis, None);
    core.add_l1(deposits);
    core.sequence(Vec::<Verified>::new(), now_ms, BATCH_MAX_TXS)
        .expect("the deposits are included");
    drop(core.take_entries());
    let mut handed = Vec::with_capacity(jobs.len());
    let started = Instant::now();
    for job in jobs {
        core.sequence(job, now_ms, BATCH_MAX_TXS)
            .expect("sequenced");
        handed.push(core.take_entries());
    }
    let took = started.elapsed();
    drop(handed);
    (count, took)
}
