//! `cargo bench -p client --bench pipeline`: the whole pipeline's rates in one run, each
//! next to this machine's signature limit measured in the same run, so the numbers carry
//! over between (shared, noisy) machines as ratios:
//!
//! - (a) k256 signature recovery (`protocol::signing::recover_signer`) on every core
//!   (median of three rounds of `vigil bench`'s own measure, `bench::recovery::measure`, over 4,000 signatures);
//! - (a') the same for libsecp256k1 (`libsecp_recovery`, the services' default backend);
//! - (b) the sequencer's accepted actions per second: a signed random workload
//!   (`protocol::workload`, valid and invalid actions) posted in bulk over HTTP to the real
//!   sequencer, with the settlement layer in this process (manual L1 blocks);
//!   (rejected actions cost a signature check and an execution too, so the rate of every
//!   action judged is printed under it);
//! - (c) the verifier's re-execution rate (actions per second, signatures on every core;
//!   the batches' L1 deposits count as actions) over exactly the batches that run posted: the settlement layer's event log fed to the
//!   verifier's pure core (`Follower::apply`), timing the `batch_posted` events, as
//!   `cargo bench -p verifier` does;
//! - (d) the flood of #13 against the production admission limits (`pipeline/flood.rs`):
//!   whether an honest client keeps its answers while 64 connections flood the sequencer.
//!   The load generator is this binary again, run as a child process
//!   (`VIGIL_FLOOD_CHILD=URL`), so it does not share the sequencer's runtime; it re-derives
//!   the same signed workload from the seed and the clock value it is given;
//! - (e) the serial path alone: the executor's `Core::sequence` (matching, tree update,
//!   chunk roots, receipts, the journal entries handed off) on one core over the same kind
//!   of workload in jobs of 500 actions, signatures recovered beforehand (not timed), timed
//!   by `sequencer::executor::serial_timing` as `examples/serial_path` times it.
//!
//! Run without `--bench` (as `cargo test --benches` does) it does one small round, so the
//! code stays exercised without costing test time. `VIGIL_BENCH_ACTIONS` (default 10,000)
//! sets the workload's size, `VIGIL_BENCH_FLOOD_S` (default 10) the flood's duration.

#[path = "pipeline/flood.rs"]
mod flood;

use protocol::action::{SignedAction, Tx};
use protocol::api::sequencer::BulkResponse;
use protocol::api::settlement::{Event, EventKind};
use protocol::api::verifier::Mode;
use protocol::genesis::Genesis;
use protocol::signing::address_of;
use protocol::workload::{Workload, dev_key};
use service_client::settlement::SettlementClient;
use std::time::{Duration, Instant};
use test_support::{SettlementLayer, bind_loopback};
use verifier::core::{Follower, Snapshot};
use vigil_client::bench::recovery;

const DEPOSIT: u64 = 100_000_000_000;
/// Signatures recovered per round of (a).
const RECOVERY_SIGNATURES: usize = 4_000;
/// Bulk requests in flight at once, and actions per request.
const CLIENTS: usize = 4;
const PER_REQUEST: usize = 500;

/// The workload's user actions, signed before any clock starts.
fn signed_actions(workload: &mut Workload, count: usize, now_ms: u64) -> Vec<SignedAction> {
    let mut txs = workload.price_updates(now_ms);
    txs.extend((0..count).map(|_| workload.next_tx(now_ms)));
    txs.into_iter()
        .filter_map(|tx| match tx {
            Tx::User { action } => Some(action),
            Tx::L1 { .. } => None,
        })
        .collect()
}

/// Bounded wait for `check`, polling every 10 ms for at most 60 s.
async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The settlement layer (manual L1 blocks) and a real sequencer on loopback, every trader
/// funded through an L1 deposit and credited; `limits` adjusts the sequencer's config.
struct Pair {
    l1_layer: SettlementLayer,
    seq_url: String,
    seq_stop: tokio::sync::oneshot::Sender<()>,
    seq_task: tokio::task::JoinHandle<Result<(), sequencer::RunError>>,
    _seq_dir: tempfile::TempDir,
}

impl Pair {
    async fn start(
        genesis: &Genesis,
        workload: &Workload,
        limits: impl FnOnce(&mut sequencer::Config),
    ) -> Pair {
        let l1_layer = SettlementLayer::start(genesis.clone(), |config| {
            config.max_timestamp_drift_ms = 3_600_000;
            config.force_inclusion_deadline_blocks = 1_000;
        })
        .await;
        for trader in &workload.traders {
            l1_layer.deposit(&trader.key, DEPOSIT).await;
        }
        let l1_url = l1_layer.url.clone();
        let seq_dir = tempfile::tempdir().expect("dir");
        let key = dev_key("vigil-bench-sequencer", 0, 0);
        l1_layer.faucet(&address_of(&key), DEPOSIT).await;
        let mut config =
            sequencer::Config::new(seq_dir.path().to_path_buf(), l1_url, genesis.clone(), key);
        config.keeper_interval = None;
        limits(&mut config);
        let (listener, seq_url) = bind_loopback().await;
        let (seq_stop, seq_stopped) = tokio::sync::oneshot::channel::<()>();
        let seq_task = tokio::spawn(sequencer::run(config, listener, async {
            let _ = seq_stopped.await;
        }));
        let seq = vigil_client::sequencer::SequencerClient::new(&seq_url);
        let traders = workload.traders.len() as u64;
        wait_until("the deposits to be credited", || async {
            seq.status()
                .await
                .is_ok_and(|s| s.next_queue_index == traders && s.open_batch.is_none())
        })
        .await;
        Pair {
            l1_layer,
            seq_url,
            seq_stop,
            seq_task,
            _seq_dir: seq_dir,
        }
    }

    async fn stop(mut self) {
        let _ = self.seq_stop.send(());
        self.seq_task
            .await
            .expect("sequencer task")
            .expect("sequencer stops cleanly");
        self.l1_layer.shutdown().await;
    }
}

/// (b) and the posted chain: posts `actions` in bulk to a fresh pair and waits until
/// everything is posted. Returns (accepted, the seconds the requests took, the settlement
/// event log).
async fn sequence(
    genesis: &Genesis,
    workload: &Workload,
    actions: Vec<SignedAction>,
) -> (u64, f64, Vec<Event>) {
    let pair = Pair::start(genesis, workload, |config| {
        // This measures the pipeline's capacity, so the queue may hold every wave of bulk
        // requests at once (in production the queue-wait bound sheds beyond 50 ms of work).
        config.limits.max_queue_wait = Duration::from_secs(60);
        // …and from the first request on: the rate the budget is derived from starts
        // unknown, and on a loaded machine a second wave arriving before it is measured
        // was shed (503).
        config.limits.min_queue_budget_actions = config.limits.max_inflight_actions as u64;
    })
    .await;
    let (seq_url, l1) = (&pair.seq_url, SettlementClient::new(&pair.l1_layer.url));
    let seq = vigil_client::sequencer::SequencerClient::new(seq_url);

    // Requests are serialized before the clock starts: the clients cost only HTTP.
    let bodies: Vec<Vec<u8>> = actions
        .chunks(PER_REQUEST)
        .map(|chunk| serde_json::to_vec(chunk).expect("JSON"))
        .collect();
    let http = reqwest::Client::new();
    let url = format!("{seq_url}/v1/txs");
    let started = Instant::now();
    let mut accepted = 0;
    for wave in bodies.chunks(CLIENTS) {
        let requests = wave.iter().map(|body| {
            let request = test_support::json_post(&http, &url, body.clone());
            async move {
                let response = request.send().await.expect("POST /v1/txs");
                assert_eq!(response.status(), 200, "the bulk request is answered");
                let body: BulkResponse = response.json().await.expect("a bulk answer");
                u64::from(body.accepted)
            }
        });
        for count in futures_join(requests).await {
            accepted += count;
        }
    }
    let elapsed = started.elapsed();

    wait_until("every batch to be posted", || async {
        let (Ok(s), Ok(l1s)) = (seq.status().await, l1.status().await) else {
            return false;
        };
        s.open_batch.is_none() && s.last_posted == s.last_sealed && l1s.tip.index == s.last_sealed
    })
    .await;
    let mut events: Vec<Event> = Vec::new();
    loop {
        let after = events.last().map_or(0, |e| e.seq);
        let page = l1
            .events(after, 1_000, Duration::ZERO)
            .await
            .expect("events")
            .events;
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    pair.stop().await;
    (accepted, elapsed.as_secs_f64(), events)
}

/// Runs the futures concurrently on this task and returns their outputs in order.
async fn futures_join<F: std::future::Future<Output = u64> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<u64> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("request task"));
    }
    out
}

/// (c) Re-execution rate: every event applied in order to a fresh core; only the time
/// spent on `batch_posted` events counts. Returns (actions re-executed, actions/s).
fn reexecute(genesis: &Genesis, events: &[Event], cores: usize) -> (u64, f64) {
    let mut core = Follower::restore(
        genesis.clone(),
        Mode::Watch,
        None,
        Snapshot::at_genesis(genesis),
    )
    .expect("genesis restores");
    core.set_signature_workers(cores);
    let (mut actions, mut spent) = (0, Duration::ZERO);
    for event in events {
        let started = Instant::now();
        core.apply(event).expect("in order");
        if matches!(event.event, EventKind::BatchPosted { .. }) {
            spent += started.elapsed();
        }
        actions += core.take_outputs().actions_executed;
    }
    assert_eq!(core.totals().bad_batches, 0, "an honest chain");
    assert_eq!(core.halted(), None);
    (actions, actions as f64 / spent.as_secs_f64())
}

/// (e) Returns (actions sequenced, actions/s) of the executor's serial path on one core.
fn serial_path(count: usize) -> (u64, f64) {
    use rayon::prelude::*;
    use sequencer::executor::Verified;
    let mut workload = Workload::new(44, 100);
    let genesis = std::sync::Arc::new(workload.genesis.clone());
    let now_ms = sequencer::executor::now_ms();
    let deposits = workload.deposit_messages(DEPOSIT);
    let domain = workload.domain();
    let actions = signed_actions(&mut workload, count, now_ms);
    let verified: Vec<Verified> = actions
        .into_par_iter()
        .map(|action| {
            let tx = Tx::User { action };
            let signer = protocol::batch::verify_tx(&tx, &domain, &genesis.oracles);
            Verified::from((tx, signer))
        })
        .collect();
    let (n, took) =
        sequencer::executor::serial_timing::time_serial_path(genesis, deposits, verified, now_ms);
    (n as u64, n as f64 / took.as_secs_f64())
}

fn main() {
    if let Ok(url) = std::env::var(flood::CHILD_URL) {
        return flood_child(&url);
    }
    let full = std::env::args().any(|a| a == "--bench");
    let count = if full {
        std::env::var("VIGIL_BENCH_ACTIONS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(10_000)
    } else {
        200
    };
    let traders = if full { 100 } else { 8 };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");

    let mut workload = Workload::new(42, traders);
    let genesis = workload.genesis.clone();
    let now_ms = sequencer::executor::now_ms();
    let actions = signed_actions(&mut workload, count, now_ms);
    let domain = workload.domain();
    // The median of three rounds of `vigil bench`'s own measure (every core):
    // one round is a fraction of a second on a shared machine.
    let median_of_three = |round: &dyn Fn() -> u64| {
        let mut rounds = [round(), round(), round()];
        rounds.sort_unstable();
        rounds[1] as f64
    };
    let recoveries = median_of_three(&|| {
        let measure = recovery::measure(RECOVERY_SIGNATURES, domain);
        runtime.block_on(measure).expect("signatures recover")
    });
    let libsecp = median_of_three(&|| {
        let measure = recovery::measure_libsecp(RECOVERY_SIGNATURES, domain);
        runtime.block_on(measure).expect("signatures recover")
    });
    let submitted = actions.len();
    let (accepted, seconds, events) = runtime.block_on(sequence(&genesis, &workload, actions));
    let (reexecuted, verified) = reexecute(&genesis, &events, cores);
    let (serial_n, serial_rate) = serial_path(count);

    println!(
        "pipeline ({submitted} workload actions over {traders} traders, {accepted} accepted; {cores} cores):"
    );
    let rows = [
        (
            "(a) k256 recover_signer, all cores",
            recoveries,
            "recoveries/s",
            RECOVERY_SIGNATURES as u64,
        ),
        (
            "(a') libsecp256k1 recover, all cores",
            libsecp,
            "recoveries/s",
            RECOVERY_SIGNATURES as u64,
        ),
        (
            "(b) sequencer, bulk over HTTP",
            accepted as f64 / seconds,
            "accepted actions/s",
            accepted,
        ),
        (
            "    every action judged (b, rejected too)",
            submitted as f64 / seconds,
            "actions/s",
            submitted as u64,
        ),
        (
            "(c) verifier re-execution",
            verified,
            "actions/s",
            reexecuted,
        ),
        (
            "(e) serial path (Core::sequence), one core",
            serial_rate,
            "actions/s",
            serial_n,
        ),
    ];
    for (label, rate, unit, n) in rows {
        println!(
            "  {label:<40} {rate:>9.0} {unit:<19} ({n:>6} measured)  = {:.2} × (a), {:.2} × (a')",
            rate / recoveries,
            rate / libsecp
        );
    }
    println!(
        "  (e) serial path: {:.2} µs per action (one core; (a) is all {cores} cores' k256)",
        1e6 / serial_rate
    );
    // Every judged action costs one recovery, rejected or not: with this workload's share
    // of accepted actions, this is the most (b) could reach if the cores did nothing else.
    let accepted_share = accepted as f64 / submitted as f64;
    println!(
        "  (b) ceiling: (a') × accepted/judged = {:.0} × {accepted_share:.2} = {:.0} accepted/s = {:.2} × (a)",
        libsecp,
        libsecp * accepted_share,
        libsecp * accepted_share / recoveries
    );
    for line in runtime.block_on(flood_phase(full, now_ms, recoveries)) {
        println!("  {line}");
    }
}

/// The flood's seconds: `VIGIL_BENCH_FLOOD_S` (default 10) with `--bench`, else 1.
fn flood_seconds(full: bool) -> usize {
    if full {
        std::env::var("VIGIL_BENCH_FLOOD_S")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(10)
    } else {
        1
    }
}

/// (d)'s workload: its genesis, the honest client's actions (the first trader's) and the
/// flood's (every other action). A pure function of `seconds` and `now_ms`, so the child
/// process signs exactly what the parent funded.
fn flood_workload(seconds: usize, now_ms: u64) -> (Genesis, Vec<SignedAction>, Vec<SignedAction>) {
    let mut workload = Workload::new(43, 10);
    let honest_trader = workload.traders[0].address;
    // About a tenth of the actions are the honest trader's: twice its orders; and at least
    // a bulk for every flooding connection.
    let needed =
        (seconds * flood::HONEST_PER_S as usize * 20).max(flood::FLOODERS * flood::BULK * 5 / 4);
    let (honest, flood): (Vec<_>, Vec<_>) = signed_actions(&mut workload, needed, now_ms)
        .into_iter()
        .partition(|a| a.action.claimed_signer() == Some(honest_trader));
    (workload.genesis.clone(), honest, flood)
}

/// (d) A fresh pair with the production limits, flooded by a child process running this
/// binary (`flood_child`); returns the child's report lines.
async fn flood_phase(full: bool, now_ms: u64, recoveries: f64) -> Vec<String> {
    let seconds = flood_seconds(full);
    let (genesis, _, _) = flood_workload(seconds, now_ms);
    let workload = Workload::new(43, 10);
    let pair = Pair::start(&genesis, &workload, |_| {}).await;
    let mut command = std::process::Command::new(std::env::current_exe().expect("this binary"));
    command
        .env(flood::CHILD_URL, &pair.seq_url)
        .env("VIGIL_FLOOD_NOW_MS", now_ms.to_string())
        .env("VIGIL_FLOOD_SECONDS", seconds.to_string())
        .env("VIGIL_FLOOD_RECOVERIES", recoveries.to_string())
        .stderr(std::process::Stdio::inherit());
    // Waited for off the runtime, which serves the sequencer meanwhile.
    let child = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the waiting task")
        .expect("the flood's child process runs");
    pair.stop().await;
    assert!(
        child.status.success(),
        "the flood's child process failed: {}",
        child.status
    );
    String::from_utf8_lossy(&child.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The child side of (d): floods the sequencer at `url` and prints the report lines.
fn flood_child(url: &str) {
    let number = |name: &str| -> f64 {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} is set by the parent"))
    };
    let (seconds, now_ms) = (number("VIGIL_FLOOD_SECONDS"), number("VIGIL_FLOOD_NOW_MS"));
    let (_, honest, flood) = flood_workload(seconds as usize, now_ms as u64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let duration = Duration::from_secs_f64(seconds);
    let report = runtime.block_on(flood::run(url, &flood, &honest, duration));
    for line in report.lines(number("VIGIL_FLOOD_RECOVERIES")) {
        println!("{line}");
    }
}
