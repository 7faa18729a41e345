//! `vigil chaos`: kill -9 under load, as a library so the CLI and a CI test run the same
//! thing. The settlement layer, the sequencer and a verifier run as their real binaries,
//! each its own process on a loopback port fixed for the run; traders submit signed
//! actions concurrently; each cycle, after a random delay, one random service is killed
//! with SIGKILL and started again on the same data dir. Once it serves, the load stops
//! and the checks run (`checks`): every acknowledged action is in the chain exactly once
//! with the receipt its 2xx carried, the chain re-executes from genesis to the sequencer's
//! root, the verifier agrees, and posting to L1 continues. The schedule (which service,
//! when) comes from one seeded random stream: the same `--seed` replays it.
//!
//! - `process`: a binary as a child process (start, SIGKILL, restart-to-serving time).
//! - `network`: the three processes, their shared genesis, funding.
//! - `load`: the trader tasks and their acknowledgements.
//! - `replica`, `checks`: the harness's own replay and the checks after each restart.
//! - `report`: the summary (`--json` too).

mod checks;
mod load;
mod network;
mod process;
mod replica;
mod report;

pub use process::Role;
pub use report::{ChaosReport, Findings, Restarts};

use load::{Ack, LoadPhase, Market, Tally, Trader};
use protocol::action::{Action, PriceUpdate, Tx};
use protocol::signing::sign_action;
use protocol::workload::SplitMix64;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct ChaosConfig {
    /// Where `vigil-contracts-mock`, `vigil-sequencer` and `vigil-verifier` are.
    pub bin_dir: PathBuf,
    /// The services' data dirs and logs go here (kept); `None`: a temporary directory.
    pub dir: Option<PathBuf>,
    /// Kill cycles, at most…
    pub cycles: u64,
    /// …and no new cycle after this much wall time.
    pub duration: Option<Duration>,
    /// Concurrent trader tasks.
    pub traders: u64,
    pub seed: u64,
    /// A kill comes uniformly within this long after the load starts.
    pub max_kill_delay: Duration,
    /// A from-genesis replay of the posted chain every this many cycles (0: only at the end).
    pub replay_every: u64,
    /// Print a progress line to standard error every this many cycles (0: never).
    pub progress_every: u64,
}

impl ChaosConfig {
    /// 20 cycles, 8 traders, kills within 300 ms, a replay every 10 cycles.
    pub fn new(bin_dir: PathBuf, seed: u64) -> ChaosConfig {
        ChaosConfig {
            bin_dir,
            dir: None,
            cycles: 20,
            duration: None,
            traders: 8,
            seed,
            max_kill_delay: Duration::from_millis(300),
            replay_every: 10,
            progress_every: 0,
        }
    }
}

/// Why a run stopped before its end (violations that let it go on are in the report).
#[derive(Debug, thiserror::Error)]
pub enum ChaosError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Service(String),
    /// The chain a restarted service shows contradicts what was seen before.
    #[error("divergence: {0}")]
    Diverged(String),
}

/// Runs the whole thing: start, cycles, final replay.
pub async fn run(config: &ChaosConfig) -> Result<ChaosReport, ChaosError> {
    if config.cycles == 0 || config.traders == 0 {
        return Err(ChaosError::Config(
            "cycles and traders must be at least 1".into(),
        ));
    }
    process::locate(&config.bin_dir)?;
    let temp;
    let dir = match &config.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| ChaosError::Io(format!("creating {}: {e}", dir.display())))?;
            dir.clone()
        }
        None => {
            temp = tempfile::tempdir()
                .map_err(|e| ChaosError::Io(format!("a temporary directory: {e}")))?;
            temp.path().to_path_buf()
        }
    };
    let started = Instant::now();
    let mut rng = SplitMix64(config.seed);
    let mut network = network::start(&dir, &config.bin_dir, config.traders).await?;
    let market = market(&network);
    let mut traders: Vec<Trader> = (0..config.traders)
        .map(|i| Trader::new(network::trader_key(i), rng.next_u64()))
        .collect();
    let mut checker = checks::Checker::new(&network, rng.next_u64());
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut acks: Vec<Ack> = Vec::new();
    checker.after_restart(&network, &acks).await?;
    let http = reqwest::Client::new();
    let mut kills = BTreeMap::new();
    let mut restarts: BTreeMap<Role, Vec<Duration>> = BTreeMap::new();
    let mut cycles = 0;
    let mut price_ms = 0;
    while cycles < config.cycles && config.duration.is_none_or(|d| started.elapsed() < d) {
        acks.push(post_price(&network, &market, &mut price_ms).await?);
        let phase = LoadPhase::start(traders, &network.sequencer, &market, &tally);
        let delay_ms = rng.below(config.max_kill_delay.as_millis().max(1) as u64);
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let victim = victim(&mut rng);
        network.process(victim).kill_9();
        let restarted = network.process(victim).restart(&http).await;
        traders = phase.finish().await;
        restarts.entry(victim).or_default().push(restarted?);
        *kills.entry(victim).or_default() += 1;
        acks.append(&mut tally.lock().unwrap_or_else(|p| p.into_inner()).acks);
        checker.after_restart(&network, &acks).await?;
        cycles += 1;
        if config.replay_every > 0 && cycles % config.replay_every == 0 {
            checker.replay_from_genesis(&network).await?;
        }
        if config.progress_every > 0 && cycles % config.progress_every == 0 {
            eprintln!(
                "chaos: {cycles} cycles, {} acknowledged, {} violations, {} s",
                acks.len(),
                checker.findings.violations(),
                started.elapsed().as_secs()
            );
        }
    }
    checker.replay_from_genesis(&network).await?;
    let tally = tally.lock().unwrap_or_else(|p| p.into_inner());
    let all: Vec<Duration> = restarts.values().flatten().copied().collect();
    Ok(ChaosReport {
        seed: config.seed,
        cycles,
        kills,
        acknowledged: acks.len() as u64,
        refused: tally.refused.clone(),
        unanswered: tally.unanswered,
        sealed_batches: checker.replica.headers.len() as u64,
        ok: checker.findings.violations() == 0,
        findings: checker.findings.clone(),
        restart: Restarts::of(&all),
        restart_by_service: restarts
            .iter()
            .map(|(r, t)| (*r, Restarts::of(t)))
            .collect(),
        elapsed_s: started.elapsed().as_secs(),
    })
}

/// Which service dies: the sequencer half the time, the others a quarter each.
fn victim(rng: &mut SplitMix64) -> Role {
    match rng.below(4) {
        0 => Role::Settlement,
        1 => Role::Verifier,
        _ => Role::Sequencer,
    }
}

/// The first market at its devnet starting price; orders are signed for this genesis.
fn market(network: &network::Network) -> Market {
    let params = &network.genesis.markets[0];
    let price = crate::oracle::walk::starting_price(&params.symbol);
    Market {
        id: params.id,
        price: (price / params.tick_size).max(2) * params.tick_size,
        tick: params.tick_size,
        lot: params.lot_size,
        domain: protocol::batch::domain_separator(&network.genesis),
        now_ms: contracts_mock::now_ms(),
    }
}

/// A fresh oracle price at the reference price (so the market never goes stale), signed
/// with the devnet oracle key; acknowledged like any action.
async fn post_price(
    network: &network::Network,
    market: &Market,
    last_ms: &mut u64,
) -> Result<Ack, ChaosError> {
    *last_ms = contracts_mock::now_ms().max(*last_ms + 1);
    let update = PriceUpdate {
        market: market.id,
        price: market.price,
        timestamp_ms: *last_ms,
    };
    let key = crate::devnet::keys::oracle_key();
    let action = sign_action(&key, Action::PriceUpdate(update), &market.domain);
    let accepted = replica::bounded(network.sequencer.submit(&action)).await?;
    Ok(Ack {
        hash: Tx::User { action }.hash(),
        receipt: accepted.receipt.hash(),
    })
}
