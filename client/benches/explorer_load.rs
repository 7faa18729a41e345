//! `cargo bench -p client --bench explorer_load`: what the web explorer costs the sequencer.
//! The same `vigil bench` run (`vigil_client::bench::run_quiet`: fresh funded accounts,
//! crossing orders, one `POST /v1/tx` each, 32 in flight) goes against a devnet (in this
//! process: settlement layer, sequencer, two verifiers, the oracle feed)
//!
//! - without an explorer,
//! - with the explorer and 1 browser on its pages,
//! - with the explorer and `VIGIL_BENCH_BROWSERS` (default 32) browsers,
//!
//! in turns, `VIGIL_BENCH_ROUNDS` (default 3) rounds. A "browser" is what a page does: the
//! explorer's live feed (`/api/stream`, read as it comes) and, every second, the reads of
//! one page (markets, batches or an account, in turn), as the pages re-read on live
//! events. Each arm's accepted actions per second is printed with the signature-recovery
//! rate of the same run and their ratio, and with the explorer: how many page reads it
//! answered and how many reached an upstream (`/api/overview`'s counts), per second.
//!
//! Run without `--bench` (as `cargo test --benches` does) it does one small round.

use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use vigil_client::bench::{BenchConfig, BenchReport, run_quiet};
use vigil_client::devnet::{Devnet, DevnetConfig, RunningDevnet, keys};
use vigil_client::oracle::FeedConfig;

/// One arm of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arm {
    NoExplorer,
    Browsers(usize),
}

impl Arm {
    fn name(self) -> String {
        match self {
            Arm::NoExplorer => "no explorer".into(),
            Arm::Browsers(n) => format!("explorer + {n} browser{}", if n == 1 { "" } else { "s" }),
        }
    }
}

/// What one arm measured.
struct Measured {
    report: BenchReport,
    /// (answered, reached an upstream) page reads per second, with the explorer.
    reads_per_sec: Option<(f64, f64)>,
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A devnet on OS-picked ports with its oracle feed (the bench prices at the mark).
async fn devnet(explorer: bool) -> (RunningDevnet, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = DevnetConfig::fast(dir.path().to_path_buf());
    config.oracle = Some(FeedConfig::default());
    config.explorer = explorer;
    let net = Devnet::start(config).await.expect("the devnet starts");
    let seq = vigil_client::sequencer::SequencerClient::new(&net.manifest().sequencer_url);
    for _ in 0..600 {
        let priced = seq
            .markets()
            .await
            .is_ok_and(|m| m.markets.iter().all(|m| m.mark_price > 0));
        if priced {
            return (net, dir);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the oracle did not price every market within 60 s");
}

/// The reads one page makes, by page.
fn page_reads(page: usize, account: &str) -> Vec<String> {
    match page % 3 {
        0 => vec![
            "/api/seq/v1/markets".into(),
            "/api/seq/v1/markets/1/book?levels=20".into(),
            "/api/seq/v1/markets/1/candles?interval=1m&limit=80".into(),
            "/api/seq/v1/markets/1/trades?limit=30".into(),
        ],
        1 => vec![
            "/api/submissions?limit=25".into(),
            "/api/seq/v1/status".into(),
        ],
        _ => vec![
            format!("/api/seq/v1/accounts/{account}"),
            format!("/api/l1/v1/accounts/{account}"),
            format!("/api/seq/v1/accounts/{account}/fills?limit=25"),
            format!("/api/accounts/{account}/withdrawals"),
        ],
    }
}

/// One browser: the live feed, read as it comes, and a page's reads every second.
async fn browser(base: String, number: usize) {
    use futures_util::StreamExt as _;
    let ws = format!("{}/api/stream", base.replacen("http", "ws", 1));
    let (socket, _) = tokio_tungstenite::connect_async(&ws)
        .await
        .expect("the explorer's feed");
    let (_, mut reader) = socket.split();
    tokio::spawn(async move { while let Some(Ok(_)) = reader.next().await {} });
    let http = reqwest::Client::new();
    let account = protocol::signing::address_of(&keys::account_key(0)).to_string();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        for path in page_reads(number, &account) {
            let answer = http.get(format!("{base}{path}")).send().await;
            if let Ok(response) = answer {
                let _ = response.bytes().await;
            }
        }
    }
}

async fn read_counts(base: &str) -> (u64, u64) {
    let overview: Value = reqwest::get(format!("{base}/api/overview"))
        .await
        .expect("overview")
        .json()
        .await
        .expect("overview JSON");
    let count = |k: &str| overview["reads"][k].as_u64().expect("a read count");
    (count("answered"), count("upstream"))
}

async fn measure(arm: Arm, orders: u64) -> Measured {
    let (net, _dir) = devnet(arm != Arm::NoExplorer).await;
    let m = net.manifest().clone();
    let mut browsers = JoinSet::new();
    if let Arm::Browsers(n) = arm {
        let base = m.explorer_url.clone().expect("the explorer's URL");
        for i in 0..n {
            browsers.spawn(browser(base.clone(), i));
        }
    }
    let before = match &m.explorer_url {
        Some(base) => Some(read_counts(base).await),
        None => None,
    };
    let started = Instant::now();
    let mut config = BenchConfig::new(&m.l1_url, &m.sequencer_url);
    config.load.count = orders;
    let report = run_quiet(&config).await.expect("the bench runs");
    let secs = started.elapsed().as_secs_f64();
    let reads_per_sec = match (&m.explorer_url, before) {
        (Some(base), Some((answered, upstream))) => {
            let (a, u) = read_counts(base).await;
            Some(((a - answered) as f64 / secs, (u - upstream) as f64 / secs))
        }
        _ => None,
    };
    browsers.shutdown().await;
    net.shutdown().await.expect("the devnet stops");
    Measured {
        report,
        reads_per_sec,
    }
}

fn median(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    values[values.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (rounds, orders, many) = if full {
        (
            env_number("VIGIL_BENCH_ROUNDS", 3),
            env_number("VIGIL_BENCH_ORDERS", 4_000) as u64,
            env_number("VIGIL_BENCH_BROWSERS", 32),
        )
    } else {
        (1, 200, 4)
    };
    let arms = [Arm::NoExplorer, Arm::Browsers(1), Arm::Browsers(many)];
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let mut results: Vec<Vec<Measured>> = arms.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for (i, arm) in arms.iter().enumerate() {
            let measured = runtime.block_on(measure(*arm, orders));
            eprintln!(
                "round {}: {:<24} {:>6} accepted/s",
                round + 1,
                arm.name(),
                measured.report.accepted_per_sec
            );
            results[i].push(measured);
        }
    }
    report(&arms, &results, orders);
}

/// The medians of each arm, beside the recovery rate of the same runs, as ratios.
fn report(arms: &[Arm], results: &[Vec<Measured>], orders: u64) {
    let baseline = median(
        results[0]
            .iter()
            .map(|m| m.report.accepted_per_sec)
            .collect(),
    );
    println!(
        "explorer load: {orders} orders per run, medians of {} rounds",
        results[0].len()
    );
    for (arm, runs) in arms.iter().zip(results) {
        let rate = median(runs.iter().map(|m| m.report.accepted_per_sec).collect());
        let recovery = median(runs.iter().map(|m| m.report.recoveries_per_sec).collect());
        let libsecp = median(
            runs.iter()
                .map(|m| m.report.libsecp_recoveries_per_sec)
                .collect(),
        );
        let reads = runs
            .iter()
            .filter_map(|m| m.reads_per_sec)
            .fold((0.0, 0.0, 0usize), |(a, u, n), (ra, ru)| {
                (a + ra, u + ru, n + 1)
            });
        let reads = if reads.2 > 0 {
            format!(
                "; page reads {:.1}/s answered, {:.1}/s reached an upstream",
                reads.0 / reads.2 as f64,
                reads.1 / reads.2 as f64
            )
        } else {
            String::new()
        };
        println!(
            "{:<24} {rate:>6} accepted/s = {:.3} of the no-explorer rate; k256 recovery {recovery}/s (ratio {:.4}), libsecp256k1 {libsecp}/s (ratio {:.4}){reads}",
            arm.name(),
            rate as f64 / baseline.max(1) as f64,
            rate as f64 / recovery.max(1) as f64,
            rate as f64 / libsecp.max(1) as f64,
        );
    }
}
