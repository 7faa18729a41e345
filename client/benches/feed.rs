//! `cargo bench -p client --bench feed`: the sequencer's live feed (`/v1/stream`) under
//! load, with `VIGIL_BENCH_SUBSCRIBERS` (default 100) subscribers at once. The settlement
//! layer and the sequencer run in this process on 127.0.0.1 (manual L1 blocks); traders
//! are funded through L1 deposits; the oracle price is refreshed every second. Half the
//! orders rest 1-lot asks, the other half lift them with 1-lot IOC bids (signed before any
//! clock starts), so each bid is a trade with two fills.
//!
//! 1. The sequencer's throughput without subscribers: `VIGIL_BENCH_ORDERS` (default
//!    4,000) orders, one `POST /v1/tx` each, 32 in flight (accepted orders/s), after a
//!    warm-up of a quarter as many.
//! 2. The subscribers connect, each with one session subscribing the market's `book`, its
//!    `trades` and the `fills` of one trader (in turn), the last two from the current `seq`.
//! 3. A steady flow: `VIGIL_BENCH_RATE` (default 200) orders/s for `VIGIL_BENCH_SECS`
//!    (default 20) s. Reported: the delivery rate (messages/s over all subscribers, until
//!    every one has every trade of the flow) and the latency from commit to receipt of
//!    each trade and fill (p50, p99). The commit's instant is when the order's `200`
//!    arrived (a 2xx means durable; the feed wakes on the same commit), so a message that
//!    beat the answer counts 0.
//! 4. The throughput of 1. again, with the subscribers attached and reading.
//!
//! Every subscriber's trades and fills must equal, in order, those of the accepted
//! orders' receipts (no message lost, repeated or reordered); the bench fails otherwise.
//! Memory is this process's resident set (`VmRSS`: the sequencer and the subscribers'
//! clients together) before the subscribers connect, once connected, and after 4.
//! Each rate is printed beside the k256 and libsecp256k1 recovery rates of the same run
//! (`vigil bench`'s measure, `vigil_client::bench::recovery::median_of_three`), as a ratio.
//!
//! Run without `--bench` (as `cargo test --benches` does) it does one small round.

// A benchmark reads the clock and the process's memory, and reports floats.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use futures_util::{SinkExt, StreamExt};
use k256::ecdsa::SigningKey;
use protocol::action::{Action, PriceUpdate, SignedAction, Tx};
use protocol::api::sequencer::TxAccepted;
use protocol::api::stream::{StreamMessage, Subscribe};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::signing::{address_of, sign_action};
use protocol::workload::{Workload, dev_key};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use test_support::{SettlementLayer, bind_loopback, crossing_order, json_post, send_for_text};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use vigil_client::bench::{percentile, recovery};
use vigil_client::sequencer::SequencerClient;

const MARKET: u32 = 1;
const DEPOSIT: u64 = 100_000_000_000;
const IN_FLIGHT: usize = 32;
const RECOVERY_SIGNATURES: usize = 4_000;

/// What the bench runs with.
struct Settings {
    subscribers: usize,
    traders: usize,
    burst_orders: usize,
    rate: u64,
    secs: u64,
}

impl Settings {
    fn from_env() -> Settings {
        let number = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        if !std::env::args().any(|a| a == "--bench") {
            return Settings {
                subscribers: 4,
                traders: 4,
                burst_orders: 100,
                rate: 50,
                secs: 2,
            };
        }
        Settings {
            subscribers: number("VIGIL_BENCH_SUBSCRIBERS", 100) as usize,
            traders: 16,
            burst_orders: number("VIGIL_BENCH_ORDERS", 4_000) as usize,
            rate: number("VIGIL_BENCH_RATE", 200),
            secs: number("VIGIL_BENCH_SECS", 20),
        }
    }
}

/// The traders, the price and how to sign for them.
struct Market {
    traders: Vec<SigningKey>,
    oracle: SigningKey,
    domain: H256,
    price: u64,
}

impl Market {
    /// `count` orders from nonce `first_nonce` on: even traders rest asks, odd ones lift them.
    fn orders(&self, count: usize, first_nonce: u64) -> Vec<Vec<u8>> {
        (0..count)
            .map(|i| {
                let order = crossing_order(
                    &self.traders,
                    MARKET,
                    self.price,
                    first_nonce,
                    i,
                    &self.domain,
                );
                serde_json::to_vec(&order).expect("JSON")
            })
            .collect()
    }

    /// The same price, signed now (a price older than the genesis bound trips the breaker).
    fn price_now(&self) -> SignedAction {
        let action = Action::PriceUpdate(PriceUpdate {
            market: MARKET,
            price: self.price,
            timestamp_ms: sequencer::executor::now_ms(),
        });
        sign_action(&self.oracle, action, &self.domain)
    }
}

/// The accepted orders' answers, by `seq`, with the instant each arrived.
type Acks = Arc<Mutex<BTreeMap<u64, (Instant, TxAccepted)>>>;

/// Posts `body` to `/v1/tx`; an accepted order's answer goes into `acks`.
async fn post(http: &reqwest::Client, url: &str, body: Vec<u8>, acks: &Acks) {
    let (status, text) = send_for_text(json_post(http, format!("{url}/v1/tx"), body)).await;
    let at = Instant::now();
    assert_ne!(status, 503, "shed under the bench's load: {text}");
    if status == 200 {
        let accepted: TxAccepted = serde_json::from_str(&text).expect("a TxAccepted");
        acks.lock().unwrap().insert(accepted.seq, (at, accepted));
    }
}

/// Closed loop: `bodies` with `IN_FLIGHT` in flight. Returns accepted orders per second.
async fn burst(url: &str, bodies: Vec<Vec<u8>>, acks: &Acks) -> f64 {
    let before = acks.lock().unwrap().len();
    let queue = Arc::new(Mutex::new(bodies.into_iter().rev().collect::<Vec<_>>()));
    let started = Instant::now();
    let mut clients = JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (queue, acks, url) = (queue.clone(), acks.clone(), url.to_string());
        clients.spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let Some(body) = queue.lock().unwrap().pop() else {
                    return;
                };
                post(&http, &url, body, &acks).await;
            }
        });
    }
    while clients.join_next().await.is_some() {}
    let accepted = acks.lock().unwrap().len() - before;
    accepted as f64 / started.elapsed().as_secs_f64()
}

/// Open loop: `bodies` offered at `rate` per second, as the clock schedules them.
async fn steady(url: &str, bodies: Vec<Vec<u8>>, rate: u64, acks: &Acks) {
    let http = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate.max(1) as u32);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sent = JoinSet::new();
    for body in bodies {
        tick.tick().await;
        let (http, url, acks) = (http.clone(), url.to_string(), acks.clone());
        sent.spawn(async move { post(&http, &url, body, &acks).await });
    }
    while sent.join_next().await.is_some() {}
}

/// What one subscriber received: trades and fills with their arrival instants.
#[derive(Default)]
struct Received {
    /// (`seq`, when it arrived) of each trade, in arrival order.
    trades: Vec<(u64, Instant)>,
    fills: Vec<(u64, Instant)>,
}

/// Counts the bench watches while the subscribers read.
#[derive(Default)]
struct Progress {
    /// Every feed message, all subscribers together.
    messages: AtomicU64,
    /// Trades received, per subscriber.
    trades: Vec<AtomicU64>,
}

/// One subscriber (number `me`): a session with `book`, `trades` and `account`'s `fills`
/// from `since_seq`, read until `stop`. Reports once its three subscriptions are active.
async fn subscriber(
    feed: String,
    (me, account, since_seq): (usize, Address, u64),
    progress: Arc<Progress>,
    ready: tokio::sync::mpsc::Sender<()>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Received {
    let (mut socket, _) = tokio_tungstenite::connect_async(feed.as_str())
        .await
        .expect("the feed");
    let book = Subscribe::Book {
        market: MARKET,
        levels: None,
    };
    let since_seq = Some(since_seq);
    let trades = Subscribe::Trades {
        market: MARKET,
        since_seq,
    };
    let fills = Subscribe::Fills { account, since_seq };
    for request in [&book, &trades, &fills] {
        let text = serde_json::to_string(request).expect("JSON");
        socket.send(Message::Text(text.into())).await.expect("sent");
    }
    let (mut got, mut active) = (Received::default(), 0);
    loop {
        let frame = tokio::select! {
            frame = socket.next() => frame,
            _ = stop.changed() => return got,
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            other => panic!("subscriber {me}: the feed ended: {other:?}"),
        };
        let at = Instant::now();
        progress.messages.fetch_add(1, Ordering::Relaxed);
        match serde_json::from_str::<StreamMessage>(&text).expect("a feed message") {
            StreamMessage::Trade { trade, .. } => {
                got.trades.push((trade.seq, at));
                progress.trades[me].fetch_add(1, Ordering::Relaxed);
            }
            StreamMessage::Fill { fill, .. } => got.fills.push((fill.seq, at)),
            StreamMessage::Subscribed { .. } => {
                active += 1;
                if active == 3 {
                    let _ = ready.send(()).await;
                }
            }
            StreamMessage::Error { code, message } => panic!("refused: {code}: {message}"),
            _ => {}
        }
    }
}

/// The subscribers, connected and subscribed.
struct Subscribers {
    tasks: JoinSet<(Address, Received)>,
    progress: Arc<Progress>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Subscribers {
    async fn connect(url: &str, n: usize, market: &Market, since_seq: u64) -> Subscribers {
        let feed = format!("{}/v1/stream", url.replacen("http", "ws", 1));
        let progress = Arc::new(Progress {
            messages: AtomicU64::new(0),
            trades: (0..n).map(|_| AtomicU64::new(0)).collect(),
        });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (ready, mut readies) = tokio::sync::mpsc::channel(n.max(1));
        let mut tasks = JoinSet::new();
        for me in 0..n {
            let account = address_of(&market.traders[me % market.traders.len()]);
            let whom = (me, account, since_seq);
            let (ready, stopped) = (ready.clone(), stopped.clone());
            let run = subscriber(feed.clone(), whom, progress.clone(), ready, stopped);
            tasks.spawn(async move { (account, run.await) });
        }
        for _ in 0..n {
            let ready = tokio::time::timeout(Duration::from_secs(60), readies.recv()).await;
            assert!(
                matches!(ready, Ok(Some(()))),
                "a subscriber did not subscribe"
            );
        }
        Subscribers {
            tasks,
            progress,
            stop,
        }
    }

    /// Waits (bounded: 60 s) until every subscriber has received `want` trades.
    async fn wait_for_trades(&self, want: usize) {
        let want = want as u64;
        for _ in 0..6_000 {
            let trades = &self.progress.trades;
            if trades.iter().all(|n| n.load(Ordering::Relaxed) >= want) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the subscribers did not receive every trade within 60 s");
    }

    /// Stops them; what each received, with its account.
    async fn stop(mut self) -> Vec<(Address, Received)> {
        self.stop.send_replace(true);
        let mut all = Vec::new();
        while let Some(done) = self.tasks.join_next().await {
            all.push(done.expect("a subscriber"));
        }
        all
    }
}

/// Every trade and fill `seq` the accepted orders' receipts say happened, in order.
fn expected(acks: &Acks, since_seq: u64) -> (Vec<u64>, BTreeMap<Address, Vec<u64>>) {
    let (mut trades, mut fills) = (Vec::new(), BTreeMap::<Address, Vec<u64>>::new());
    for (seq, (_, accepted)) in acks.lock().unwrap().range(since_seq + 1..) {
        for fill in &accepted.receipt.fills {
            trades.push(*seq);
            for account in [fill.maker, fill.taker] {
                fills.entry(account).or_default().push(*seq);
            }
        }
    }
    (trades, fills)
}

/// Resident bytes of this process (`VmRSS`).
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The settlement layer and the sequencer, running, with the traders funded and priced.
struct Chain {
    l1: SettlementLayer,
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    sequencer: tokio::task::JoinHandle<Result<(), sequencer::RunError>>,
    _dir: tempfile::TempDir,
}

async fn start(genesis: &Genesis, market: &Market) -> Chain {
    let genesis = genesis.clone();
    let l1 = SettlementLayer::start(genesis.clone(), |config| {
        config.max_timestamp_drift_ms = 3_600_000;
        config.force_inclusion_deadline_blocks = 1_000;
    })
    .await;
    for key in &market.traders {
        l1.deposit(key, DEPOSIT).await;
    }
    let key = dev_key("vigil-bench-feed", 0, 0);
    l1.faucet(&address_of(&key), DEPOSIT).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sequencer::Config::new(dir.path().to_path_buf(), l1.url.clone(), genesis, key);
    config.keeper_interval = None;
    // Measuring capacity: the queue may hold a whole burst (production sheds beyond 50 ms).
    config.limits.max_queue_wait = Duration::from_secs(60);
    config.limits.min_queue_budget_actions = config.limits.max_inflight_actions as u64;
    let (listener, url) = bind_loopback().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let sequencer = tokio::spawn(sequencer::run(config, listener, async {
        let _ = stopped.await;
    }));
    let seq = SequencerClient::new(&url);
    let traders = market.traders.len() as u64;
    for _ in 0..6_000 {
        let credited = seq
            .status()
            .await
            .is_ok_and(|s| s.next_queue_index == traders);
        if credited {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let price = reqwest::Client::new()
        .post(format!("{url}/v1/tx"))
        .json(&market.price_now())
        .send()
        .await;
    assert!(
        price.is_ok_and(|r| r.status() == 200),
        "the price is accepted"
    );
    Chain {
        l1,
        url,
        stop,
        sequencer,
        _dir: dir,
    }
}

/// Posts the market's price, signed now, every second (until aborted).
fn keep_priced(url: String, market: Arc<Market>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let _ = http
                .post(format!("{url}/v1/tx"))
                .json(&market.price_now())
                .send()
                .await;
        }
    })
}

/// The workload's traders and its first price of the market.
fn market(workload: &mut Workload) -> Market {
    let now_ms = sequencer::executor::now_ms();
    let price = workload
        .price_updates(now_ms)
        .into_iter()
        .find_map(|tx| match tx {
            Tx::User { action } => match action.action {
                Action::PriceUpdate(p) if p.market == MARKET => Some(p.price),
                _ => None,
            },
            Tx::L1 { .. } => None,
        })
        .expect("a price for the market");
    Market {
        traders: workload.traders.iter().map(|t| t.key.clone()).collect(),
        oracle: workload.oracle.clone(),
        domain: workload.domain(),
        price,
    }
}

/// What one run measured.
struct Measured {
    /// Accepted orders/s without subscribers, and with them.
    alone: f64,
    watched: f64,
    /// Feed messages/s over all subscribers during the steady flow.
    delivery: f64,
    /// Commit to receipt of the flow's trades and fills.
    latency_p50: Duration,
    latency_p99: Duration,
    latencies: usize,
    /// Resident bytes: before the subscribers, connected, after everything.
    resident: [u64; 3],
    messages: u64,
}

async fn measure(settings: &Settings) -> Measured {
    let mut workload = Workload::new(11, settings.traders);
    let market = Arc::new(market(&mut workload));
    let chain = start(&workload.genesis, &market).await;
    let pricing = keep_priced(chain.url.clone(), market.clone());
    let flow_orders = (settings.rate * settings.secs) as usize;
    let bodies = [
        market.orders(settings.burst_orders / 4, 500_000),
        market.orders(settings.burst_orders, 1_000_000),
        market.orders(flow_orders, 2_000_000),
        market.orders(settings.burst_orders, 3_000_000),
    ];
    let [warm_up, first, flow, second] = bodies;
    let acks: Acks = Arc::default();
    let url = chain.url.clone();

    burst(&url, warm_up, &acks).await; // not counted: the first requests pay for set-up
    let alone = burst(&url, first, &acks).await;
    let since_seq = SequencerClient::new(&url)
        .status()
        .await
        .expect("status")
        .next_seq
        - 1;
    let before = resident_bytes();
    let subscribers = Subscribers::connect(&url, settings.subscribers, &market, since_seq).await;
    let connected = resident_bytes();

    let started = Instant::now();
    steady(&url, flow, settings.rate, &acks).await;
    let flow_last = acks
        .lock()
        .unwrap()
        .keys()
        .next_back()
        .copied()
        .unwrap_or(0);
    subscribers
        .wait_for_trades(expected(&acks, since_seq).0.len())
        .await;
    let delivered = subscribers.progress.messages.load(Ordering::Relaxed);
    let delivery = delivered as f64 / started.elapsed().as_secs_f64();

    let watched = burst(&url, second, &acks).await;
    subscribers
        .wait_for_trades(expected(&acks, since_seq).0.len())
        .await;
    let after = resident_bytes();
    let messages = subscribers.progress.messages.load(Ordering::Relaxed);
    let received = subscribers.stop().await;
    pricing.abort();
    let mut latencies = check_and_time(&received, &acks, since_seq, flow_last);
    latencies.sort_unstable();
    shut_down(chain).await;
    Measured {
        alone,
        watched,
        delivery,
        latency_p50: percentile(&latencies, 500),
        latency_p99: percentile(&latencies, 990),
        latencies: latencies.len(),
        resident: [before, connected, after],
        messages,
    }
}

/// Checks that every subscriber got exactly the receipts' trades and its account's fills,
/// in order; returns the commit-to-receipt times of those of the steady flow
/// (`seq` in `since_seq + 1..=flow_last`).
fn check_and_time(
    received: &[(Address, Received)],
    acks: &Acks,
    since_seq: u64,
    flow_last: u64,
) -> Vec<Duration> {
    let (trades, fills) = expected(acks, since_seq);
    let acks = acks.lock().unwrap();
    let mut latencies = Vec::new();
    for (account, got) in received {
        let seqs = |list: &[(u64, Instant)]| list.iter().map(|(s, _)| *s).collect::<Vec<_>>();
        assert_eq!(seqs(&got.trades), trades, "a subscriber's trades");
        let want = fills.get(account).cloned().unwrap_or_default();
        assert_eq!(seqs(&got.fills), want, "{account}'s fills");
        for (seq, at) in got.trades.iter().chain(&got.fills) {
            if *seq <= flow_last {
                let (committed, _) = acks[seq];
                latencies.push(at.saturating_duration_since(committed));
            }
        }
    }
    latencies
}

async fn shut_down(mut chain: Chain) {
    let _ = chain.stop.send(());
    chain
        .sequencer
        .await
        .expect("sequencer task")
        .expect("the sequencer stops cleanly");
    chain.l1.shutdown().await;
}

fn main() {
    let settings = Settings::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let domain = Workload::new(11, 1).domain();
    let rates = recovery::median_of_three(RECOVERY_SIGNATURES, domain);
    let [k256, libsecp] = runtime.block_on(rates).expect("signatures recover");
    let m = runtime.block_on(measure(&settings));
    report(&settings, &m, [k256 as f64, libsecp as f64]);
}

fn report(settings: &Settings, m: &Measured, [k256, libsecp]: [f64; 2]) {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    println!(
        "feed: {} subscribers (book + trades + one trader's fills each), {} traders, {cores} cores",
        settings.subscribers, settings.traders
    );
    println!("  recovery: k256 {k256:.0}/s, libsecp256k1 {libsecp:.0}/s (all cores)");
    let ratio = |rate: f64| {
        format!(
            "= {:.3} × k256, {:.3} × libsecp",
            rate / k256,
            rate / libsecp
        )
    };
    let rows = [
        ("sequencer alone", m.alone, "accepted orders/s"),
        (
            "sequencer with the subscribers",
            m.watched,
            "accepted orders/s",
        ),
        ("feed delivery (steady flow)", m.delivery, "messages/s"),
    ];
    for (label, rate, unit) in rows {
        println!("  {label:<32} {rate:>9.0} {unit:<18} {}", ratio(rate));
    }
    println!(
        "  steady flow {} orders/s for {} s: commit → receipt p50 {:.1} ms, p99 {:.1} ms ({} trades and fills timed; {} messages in all, none lost or out of order)",
        settings.rate,
        settings.secs,
        m.latency_p50.as_secs_f64() * 1e3,
        m.latency_p99.as_secs_f64() * 1e3,
        m.latencies,
        m.messages,
    );
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let [before, connected, after] = m.resident;
    println!(
        "  resident (this process: sequencer, settlement layer and clients): {:.0} MiB before the subscribers, {:.0} MiB connected, {:.0} MiB after the run",
        mib(before),
        mib(connected),
        mib(after)
    );
}
