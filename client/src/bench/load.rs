//! The load itself: orders signed up front on all cores (so signing is not in the measured
//! latency), then either closed-loop (`concurrency` tasks each taking the next order and
//! timing its submission (`POST /v1/tx`, or a frame on `/v1/tx/ws`) until the durable answer: it finds the rate the sequencer
//! sustains) or open-loop (`--rate`: order i is due at i/rate seconds whatever happened to
//! the earlier ones, and its latency runs from that due time, so a stall is counted in
//! full instead of slowing the load down with it).
//!
//! The orders cross: all are GTC at the mark (on the tick), one lot each, and within every
//! round over the accounts half buy and half sell, so the book stays shallow, no account
//! piles up open orders, and positions stay small.

use super::BenchError;
use super::transport::Submitter;
use indicatif::ProgressBar;
use k256::ecdsa::SigningKey;
use protocol::action::{Action, Order, SignedAction, TimeInForce};
use protocol::api::sequencer::MarketInfo;
use protocol::primitives::H256;
use protocol::signing::{address_of, sign_action};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Orders stay valid for an hour: longer than any bench.
const EXPIRY_MS: u64 = 3_600_000;

/// What the submissions produced.
#[derive(Debug, Clone, Default)]
pub struct LoadOutcome {
    pub accepted: u64,
    pub rejected: BTreeMap<String, u64>,
    /// Request-to-answer time of every submission, accepted or not.
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
}

/// `count` signed orders, round-robin over the accounts.
pub async fn sign_orders(
    keys: &[SigningKey],
    market: &MarketInfo,
    count: u64,
    domain: &H256,
) -> Result<Vec<SignedAction>, BenchError> {
    let p = &market.params;
    let price = (market.mark_price / p.tick_size).max(1) * p.tick_size;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // Microsecond nonces are above anything `vigil` signed before for these fresh keys.
    let base_nonce = u64::try_from(now.as_micros()).unwrap_or(0);
    let expires_at = u64::try_from(now.as_millis()).unwrap_or(0) + EXPIRY_MS;
    let (keys, domain, market_id, lot) = (keys.to_vec(), *domain, p.id, p.lot_size);
    let accounts = keys.len() as u64;
    tokio::task::spawn_blocking(move || {
        (0..count)
            .into_par_iter()
            .map(|i| {
                let account = i % accounts;
                let round = i / accounts;
                let key = &keys[usize::try_from(account).expect("fits")];
                let order = Order {
                    account: address_of(key),
                    market: market_id,
                    is_buy: (round + account).is_multiple_of(2),
                    price,
                    size: lot,
                    tif: TimeInForce::Gtc,
                    reduce_only: false,
                    nonce: base_nonce + i,
                    expires_at,
                };
                sign_action(key, Action::Order(order), &domain)
            })
            .collect()
    })
    .await
    .map_err(|e| BenchError::Task(e.to_string()))
}

/// Submits every order with `concurrency` tasks; each rejection is counted by its code.
pub async fn submit_all(
    seq: &Submitter,
    orders: Vec<SignedAction>,
    concurrency: usize,
    progress: &ProgressBar,
) -> Result<LoadOutcome, BenchError> {
    let orders = Arc::new(orders);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(orders.len()) {
        let (orders, next, seq, progress) =
            (orders.clone(), next.clone(), seq.clone(), progress.clone());
        tasks.spawn(async move {
            let mut mine = LoadOutcome::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(order) = orders.get(i) else {
                    return mine;
                };
                let sent = Instant::now();
                let answer = seq.submit(order).await;
                mine.latencies.push(sent.elapsed());
                match answer {
                    Ok(()) => mine.accepted += 1,
                    Err(code) => *mine.rejected.entry(code).or_default() += 1,
                }
                progress.inc(1);
            }
        });
    }
    let mut total = LoadOutcome::default();
    while let Some(done) = tasks.join_next().await {
        let part = done.map_err(|e| BenchError::Task(e.to_string()))?;
        total.accepted += part.accepted;
        total.latencies.extend(part.latencies);
        for (code, n) in part.rejected {
            *total.rejected.entry(code).or_default() += n;
        }
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

/// Submits order i at `start + i/rate` (open loop), at most `max_in_flight` at once (a
/// request due while that many are out waits, and its wait counts in its latency).
///
/// The schedule is kept by a pacer on a blocking thread with the OS's sleep (tens of
/// microseconds late at most), not by tokio's timer: that one rounds every deadline up to
/// its 1 ms tick, which would add up to a millisecond of the generator's own lateness to
/// every latency measured from the due time.
pub async fn submit_at_rate(
    seq: &Submitter,
    orders: Vec<SignedAction>,
    rate_per_sec: u64,
    max_in_flight: usize,
    progress: &ProgressBar,
) -> Result<LoadOutcome, BenchError> {
    let started = Instant::now();
    let pacer = Pacer {
        runtime: tokio::runtime::Handle::current(),
        slots: Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1))),
        interval_ns: 1_000_000_000 / rate_per_sec.max(1),
        seq: seq.clone(),
        progress: progress.clone(),
    };
    let tasks = tokio::task::spawn_blocking(move || pacer.run(started, orders))
        .await
        .map_err(|e| BenchError::Task(e.to_string()))??;
    let mut total = LoadOutcome::default();
    for task in tasks {
        let (latency, answer) = task.await.map_err(|e| BenchError::Task(e.to_string()))?;
        total.latencies.push(latency);
        match answer {
            Ok(()) => total.accepted += 1,
            Err(code) => *total.rejected.entry(code).or_default() += 1,
        }
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

/// One submission's latency (from its due time) and answer.
type Timed = (Duration, Result<(), String>);

/// The open loop's schedule keeper (see [`submit_at_rate`]).
struct Pacer {
    runtime: tokio::runtime::Handle,
    slots: Arc<tokio::sync::Semaphore>,
    interval_ns: u64,
    seq: Submitter,
    progress: ProgressBar,
}

impl Pacer {
    /// Sleeps until each order is due, takes a slot and hands the order to the runtime;
    /// returns the submissions' tasks in order.
    fn run(
        self,
        started: Instant,
        orders: Vec<SignedAction>,
    ) -> Result<Vec<tokio::task::JoinHandle<Timed>>, BenchError> {
        let mut tasks = Vec::with_capacity(orders.len());
        for (i, order) in orders.into_iter().enumerate() {
            let due = started + Duration::from_nanos(self.interval_ns.saturating_mul(i as u64));
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            let slot = self
                .runtime
                .block_on(self.slots.clone().acquire_owned())
                .map_err(|e| BenchError::Task(e.to_string()))?;
            let (seq, progress) = (self.seq.clone(), self.progress.clone());
            tasks.push(self.runtime.spawn(async move {
                let answer = seq.submit(&order).await;
                let latency = due.elapsed();
                drop(slot);
                progress.inc(1);
                (latency, answer)
            }));
        }
        Ok(tasks)
    }
}
