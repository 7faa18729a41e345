//! `cargo bench -p sequencer`: end-to-end throughput of the sequencer over real HTTP
//! (accepted, durable actions per second), reported next to this machine's own signature
//! limit measured in the same run (k256 recoveries per second on all cores), as a ratio.
//!
//! Setup: the settlement layer and the sequencer run in this process on 127.0.0.1 (manual
//! L1 blocks); traders are funded through L1 deposits; a price is set. The actions are
//! signed and serialized before the clock starts, so the clients cost only HTTP. Half the
//! traders rest 1-lot GTC asks, the other half lift them with 1-lot IOC bids, so matching,
//! fills, margin checks and the book all do real work.
//!
//! `VIGIL_BENCH_ACTIONS` (default 12000) sets the actions per mode.

use k256::ecdsa::SigningKey;
use protocol::action::{Action, PriceUpdate, SignedAction, Tx};
use protocol::api::settlement::{DepositCall, FaucetRequest, SignedCall, l1_domain_separator};
use protocol::batch::{domain_separator, verify_tx};
use protocol::genesis::Genesis;
use protocol::signing::{address_of, sign_action};
use protocol::workload::dev_key;
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use test_support::crossing_order;

const TRADERS: u64 = 64;
const CLIENTS: usize = 64;
const PRICE: u64 = 50_000_000_000;

fn genesis(oracle: &SigningKey) -> Genesis {
    Genesis::devnet(
        31337,
        contracts_mock::Config::default_rollup_address(),
        address_of(oracle),
    )
}

/// k256 public-key recoveries per second on every core (what `verify_tx` does per action).
fn recoveries_per_second(actions: &[SignedAction], genesis: &Genesis) -> f64 {
    let domain = domain_separator(genesis);
    let txs: Vec<Tx> = actions
        .iter()
        .map(|a| Tx::User { action: a.clone() })
        .collect();
    let started = Instant::now();
    let ok = txs
        .par_iter()
        .filter(|tx| verify_tx(tx, &domain, &genesis.oracles).is_ok())
        .count();
    assert_eq!(ok, txs.len(), "every benchmark signature verifies");
    txs.len() as f64 / started.elapsed().as_secs_f64()
}

/// Pre-signed orders: even traders rest asks, odd traders lift them.
fn workload(
    traders: &[SigningKey],
    genesis: &Genesis,
    count: usize,
    first_nonce: u64,
) -> Vec<SignedAction> {
    let domain = domain_separator(genesis);
    (0..count)
        .into_par_iter()
        .map(|i| crossing_order(traders, 1, PRICE, first_nonce, i, &domain))
        .collect()
}

struct Outcome {
    accepted: u64,
    rejected: u64,
    seconds: f64,
    /// Rejections by engine code.
    codes: std::collections::BTreeMap<String, u64>,
}

/// Sends `bodies` (pre-serialized requests) from `CLIENTS` concurrent clients to `path`,
/// in order (so each trader's nonces arrive nearly ascending).
async fn drive(url: &str, path: &str, mut bodies: Vec<Vec<u8>>, per_body: u64) -> Outcome {
    bodies.reverse();
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let codes = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::<
        String,
        u64,
    >::new()));
    let accepted = Arc::new(AtomicU64::new(0));
    let rejected = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (queue, accepted, rejected) = (queue.clone(), accepted.clone(), rejected.clone());
        let codes = codes.clone();
        let target = format!("{url}{path}");
        clients.spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let Some(body) = queue.lock().unwrap().pop() else {
                    return;
                };
                let response = test_support::json_post(&http, &target, body)
                    .send()
                    .await
                    .expect("the sequencer answers");
                let status = response.status().as_u16();
                let answer: serde_json::Value = response.json().await.expect("JSON");
                let mut codes = codes.lock().unwrap();
                match (status, answer.get("accepted")) {
                    (200, Some(n)) => {
                        let n = n.as_u64().unwrap_or(0);
                        accepted.fetch_add(n, Ordering::Relaxed);
                        rejected.fetch_add(per_body - n, Ordering::Relaxed);
                        for item in answer["results"].as_array().into_iter().flatten() {
                            if let Some(code) = item["code"].as_str() {
                                *codes.entry(code.to_string()).or_default() += 1;
                            }
                        }
                    }
                    (200, None) => {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                    (503, _) => panic!("shed under the benchmark's load: raise the budget"),
                    _ => {
                        rejected.fetch_add(per_body, Ordering::Relaxed);
                        let code = answer["code"].as_str().unwrap_or("?").to_string();
                        *codes.entry(code).or_default() += per_body;
                    }
                }
            }
        });
    }
    while clients.join_next().await.is_some() {}
    let codes = std::mem::take(&mut *codes.lock().unwrap());
    Outcome {
        accepted: accepted.load(Ordering::Relaxed),
        rejected: rejected.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
        codes,
    }
}

/// The serial path alone: the executor thread applying pre-verified single-action jobs and
/// the writer committing them (group commit, fsync), without HTTP or signature recovery.
/// Returns durable actions per second.
fn serial_path(actions: &[SignedAction], traders: &[SigningKey], genesis: &Genesis) -> f64 {
    use protocol::action::L1Message;
    use sequencer::executor::{Batching, Command, Core, Driver, Job};
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = sequencer::journal::schema::open(&dir.path().join("serial.db")).expect("db");
    let metrics = Arc::new(sequencer::metrics::Metrics::default());
    let (writer, writer_thread) = sequencer::journal::writer::spawn(
        conn,
        metrics.clone(),
        Arc::new(tokio::sync::Notify::new()),
    )
    .expect("writer");
    let mut core = Core::new(Arc::new(genesis.clone()), None);
    let deposits = traders.iter().enumerate().map(|(i, k)| {
        let message = L1Message::Deposit {
            account: address_of(k),
            amount: 1_000_000_000_000,
        };
        (i as u64, message)
    });
    core.add_l1(deposits);
    let now = sequencer::executor::now_ms();
    core.include_l1(now, 1_000).expect("deposits");
    let price = actions_price(genesis);
    let price_tx = Tx::User { action: price };
    core.open_for(&price_tx, now).expect("open");
    let oracle = Ok(genesis.oracles[0]);
    core.apply(price_tx, &oracle).expect("price");
    let (views, _) = tokio::sync::watch::channel(Arc::new(core.read_view()));
    let (exec, rx) = std::sync::mpsc::channel();
    let driver = Driver {
        core,
        rx,
        writer,
        views: Arc::new(views),
        batching: Batching {
            max_txs: 1_000,
            interval: Duration::from_millis(200),
            snapshot_every: 50,
        },
        metrics,
        failed: Arc::new(std::sync::atomic::AtomicBool::new(false)),
    };
    let executor = std::thread::Builder::new()
        .name("serial-executor".into())
        .spawn(move || driver.run())
        .expect("executor thread");
    let jobs: Vec<_> = actions
        .iter()
        .map(|a| {
            let signer = a
                .action
                .claimed_signer()
                .ok_or(protocol::signing::SignatureError::Unrecoverable);
            (Tx::User { action: a.clone() }, signer)
        })
        .collect();
    let started = Instant::now();
    let mut answers = Vec::with_capacity(jobs.len());
    for (ticket, item) in jobs.into_iter().enumerate() {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job {
            items: vec![item.into()],
            reply,
            permit: None,
        };
        exec.send(Command::Verified {
            ticket: ticket as u64,
            job,
        })
        .expect("executor");
        answers.push(answer);
    }
    for answer in answers {
        answer.blocking_recv().expect("durable answer");
    }
    let rate = actions.len() as f64 / started.elapsed().as_secs_f64();
    let _ = exec.send(Command::Shutdown);
    executor.join().expect("executor thread");
    writer_thread.join().expect("writer thread");
    rate
}

fn actions_price(genesis: &Genesis) -> SignedAction {
    let oracle = dev_key("vigil-bench", 0, 0);
    sign_action(
        &oracle,
        Action::PriceUpdate(PriceUpdate {
            market: 1,
            price: PRICE,
            timestamp_ms: sequencer::executor::now_ms(),
        }),
        &domain_separator(genesis),
    )
}

async fn bench() {
    let count: usize = std::env::var("VIGIL_BENCH_ACTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12_000);
    let oracle = dev_key("vigil-bench", 0, 0);
    let sequencer_key = dev_key("vigil-bench", 0, 1);
    let traders: Vec<SigningKey> = (0..TRADERS)
        .map(|i| dev_key("vigil-bench", 0, 10 + i))
        .collect();
    let genesis = genesis(&oracle);

    // The settlement layer, with manual blocks and a wide drift bound.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut l1_config = contracts_mock::Config::new(dir.path().join("l1"), genesis.clone());
    l1_config.block_time_ms = None;
    l1_config.max_timestamp_drift_ms = 3_600_000;
    let l1_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let l1_url = format!("http://{}", l1_listener.local_addr().unwrap());
    let (l1_stop, l1_stopped) = tokio::sync::oneshot::channel::<()>();
    let l1 = tokio::spawn(contracts_mock::run(l1_config, l1_listener, async move {
        let _ = l1_stopped.await;
    }));
    let http = reqwest::Client::new();
    let l1_domain = l1_domain_separator(genesis.chain_id, &genesis.verifying_contract);
    let faucet = |address, amount| {
        http.post(format!("{l1_url}/v1/faucet"))
            .json(&FaucetRequest { address, amount })
            .send()
    };
    faucet(address_of(&sequencer_key), 10_000_000_000)
        .await
        .unwrap();
    for key in &traders {
        let amount = 1_000_000_000_000;
        faucet(address_of(key), amount).await.unwrap();
        let deposit = DepositCall {
            account: address_of(key),
            amount,
        };
        let call = SignedCall::sign(key, 0, deposit, &l1_domain);
        let r = http
            .post(format!("{l1_url}/v1/deposit"))
            .json(&call)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "deposit: {}",
            r.text().await.unwrap()
        );
    }

    // The sequencer.
    let mut config = sequencer::Config::new(
        dir.path().join("seq"),
        l1_url.clone(),
        genesis.clone(),
        sequencer_key,
    );
    config.keeper_interval = None;
    config.batch_interval = Duration::from_millis(200);
    config.limits.max_inflight_actions = 1_000_000;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let seq = tokio::spawn(sequencer::run(config, listener, async move {
        let _ = stopped.await;
    }));
    let price = sign_action(
        &oracle,
        Action::PriceUpdate(PriceUpdate {
            market: 1,
            price: PRICE,
            timestamp_ms: sequencer::executor::now_ms(),
        }),
        &domain_separator(&genesis),
    );
    for attempt in 0.. {
        let funded = http
            .get(format!(
                "{url}/v1/accounts/{}",
                address_of(&traders[TRADERS as usize - 1])
            ))
            .send()
            .await;
        let collateral = match funded {
            Ok(r) => r
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| v["collateral"].as_i64()),
            Err(_) => None,
        };
        if collateral.is_some_and(|c| c > 0) {
            break;
        }
        assert!(attempt < 1_000, "deposits were not credited");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = http
        .post(format!("{url}/v1/tx"))
        .json(&price)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "price: {}",
        r.text().await.unwrap()
    );

    println!("signing {} actions per mode…", count);
    let singles = workload(&traders, &genesis, count, 1);
    let bulk = workload(&traders, &genesis, count, 1_000_000);
    let limit_before = recoveries_per_second(&singles, &genesis);

    let bodies: Vec<Vec<u8>> = singles
        .iter()
        .map(|a| serde_json::to_vec(a).unwrap())
        .collect();
    let one = drive(&url, "/v1/tx", bodies, 1).await;
    const PER: usize = 32;
    let bodies: Vec<Vec<u8>> = bulk
        .chunks(PER)
        .map(|c| serde_json::to_vec(c).unwrap())
        .collect();
    let many = drive(&url, "/v1/txs", bodies, PER as u64).await;

    let limit_after = recoveries_per_second(&bulk, &genesis);
    let serial_actions = workload(&traders, &genesis, count, 1);
    let serial = tokio::task::spawn_blocking({
        let (traders, genesis) = (traders.clone(), genesis.clone());
        move || serial_path(&serial_actions, &traders, &genesis)
    })
    .await
    .expect("serial path");
    let limit = (limit_before + limit_after) / 2.0;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!();
    println!(
        "machine: {cores} cores; k256 recoveries/s on all cores: {limit:.0} (before {limit_before:.0}, after {limit_after:.0})"
    );
    for (mode, o) in [
        ("POST /v1/tx  (1 action/request)", &one),
        ("POST /v1/txs (32 actions/request)", &many),
    ] {
        let rate = o.accepted as f64 / o.seconds;
        let processed = (o.accepted + o.rejected) as f64 / o.seconds;
        println!(
            "{mode}: {rate:.0} accepted actions/s = {:.2} × the signature limit ({} accepted, {} rejected {:?}, in {:.2} s; {processed:.0} actions verified and executed/s)",
            rate / limit,
            o.accepted,
            o.rejected,
            o.codes,
            o.seconds,
        );
    }
    println!(
        "serial path alone (executor + group commit, pre-verified single-action jobs): {serial:.0} durable actions/s = {:.1} µs per action",
        1e6 / serial
    );
    let _ = stop.send(());
    seq.await.unwrap().expect("the sequencer stops cleanly");
    let _ = l1_stop.send(());
    l1.await
        .unwrap()
        .expect("the settlement layer stops cleanly");
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument (a filter) is ignored.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench());
}
