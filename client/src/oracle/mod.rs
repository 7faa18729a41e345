//! The devnet oracle: a price feed that signs `PriceUpdate`s for every market with each of
//! the genesis oracle signers' keys (each signer posts its own update; the index is their
//! median, docs/PROTOCOL.md Part 4 §7) and posts them to the sequencer, one bulk request
//! per tick, all markets and signers at the same timestamp (so one tick opens at most one
//! batch).
//!
//! `run_feed` is used by `vigil devnet` (in-process) and by `vigil oracle` (standalone, the
//! docker compose `oracle` service). Prices follow `walk`: a seeded random walk that
//! resumes from the chain's current mark prices, so a restarted feed does not jump.

pub mod walk;

use crate::sequencer::SequencerClient;
use k256::ecdsa::SigningKey;
use protocol::action::{Action, PriceUpdate};
use protocol::api::sequencer::BulkItem;
use protocol::primitives::H256;
use protocol::signing::sign_action;
use protocol::workload::SplitMix64;
use std::future::Future;
use std::time::{Duration, Instant};
use walk::MarketWalk;

/// How the feed runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedConfig {
    /// Time between ticks.
    pub interval: Duration,
    /// Seeds the random walk.
    pub seed: u64,
    /// Stop after this many ticks (`None`: until shut down).
    pub ticks: Option<u64>,
    /// How many times to ask the sequencer for its markets at startup, `CONNECT_RETRY`
    /// apart, before giving up.
    pub connect_attempts: u32,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            interval: Duration::from_millis(1_000),
            seed: 0,
            ticks: None,
            connect_attempts: SERVICE_CONNECT_ATTEMPTS,
        }
    }
}

/// What a feed did, for its caller's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedReport {
    pub ticks: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Ticks whose post did not reach the sequencer (or got no answer).
    pub failed: u64,
    /// The last price sent per market: (market id, symbol, micro-USDC).
    pub prices: Vec<(u32, String, u64)>,
}

/// The pause between two startup attempts.
pub const CONNECT_RETRY: Duration = Duration::from_millis(500);

/// A long-running feed (a service, or the devnet's) waits about a minute for its sequencer
/// to start.
pub const SERVICE_CONNECT_ATTEMPTS: u32 = 120;

/// Why the feed could not run.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(
        "cannot reach the sequencer at {url} ({attempts} attempts over {secs} s; last: {error}); start a network with `vigil devnet`, or point --sequencer-url / VIGIL_SEQUENCER_URL at a running sequencer",
        secs = elapsed.as_secs()
    )]
    Unreachable {
        url: String,
        attempts: u32,
        elapsed: Duration,
        error: service_client::http::ServiceError,
    },
    #[error("the sequencer lists no markets")]
    NoMarkets,
}

/// Signs (with every key in `keys`) and posts price updates until `shutdown` resolves or
/// `config.ticks` are done. A failed post is logged and the next tick tries again (the
/// sequencer may restart).
pub async fn run_feed(
    sequencer: &SequencerClient,
    keys: &[SigningKey],
    domain: H256,
    config: &FeedConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<FeedReport, FeedError> {
    tokio::pin!(shutdown);
    let started = tokio::select! {
        walks = market_walks(sequencer, config.connect_attempts) => Some(walks?),
        () = &mut shutdown => None,
    };
    let Some(mut walks) = started else {
        return Ok(FeedReport::default());
    };
    let mut rng = SplitMix64(config.seed);
    let mut report = FeedReport::default();
    let mut last_ms = 0u64;
    let mut timer = tokio::time::interval(config.interval);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while config.ticks.is_none_or(|n| report.ticks < n) {
        tokio::select! {
            _ = timer.tick() => {}
            () = &mut shutdown => break,
        }
        // Strictly newer than the last update, or the engine refuses it as not newer.
        let timestamp_ms = contracts_mock::now_ms().max(last_ms + 1);
        last_ms = timestamp_ms;
        let updates: Vec<_> = walks
            .iter_mut()
            .map(|w| PriceUpdate {
                market: w.market,
                price: w.step(&mut rng),
                timestamp_ms,
            })
            .collect();
        let actions: Vec<_> = updates
            .iter()
            .flat_map(|update| {
                keys.iter()
                    .map(|key| sign_action(key, Action::PriceUpdate(update.clone()), &domain))
            })
            .collect();
        report.ticks += 1;
        match sequencer.submit_many(&actions).await {
            Ok(answer) => {
                report.accepted += u64::from(answer.accepted);
                report.rejected += u64::from(answer.rejected);
                for item in &answer.results {
                    if let BulkItem::Rejected { code, message, .. } = item {
                        tracing::warn!(%code, %message, "price update refused");
                    }
                }
            }
            Err(e) => {
                report.failed += 1;
                tracing::warn!(error = %e, "posting prices failed; retrying next tick");
            }
        }
        tracing::debug!(
            prices = ?walks.iter().map(|w| (w.symbol.as_str(), w.price)).collect::<Vec<_>>(),
            "prices posted"
        );
    }
    report.prices = walks
        .iter()
        .map(|w| (w.market, w.symbol.clone(), w.price))
        .collect();
    Ok(report)
}

/// The markets and their current prices, from the sequencer: asked up to `attempts`
/// times, `CONNECT_RETRY` apart, while it starts.
async fn market_walks(
    sequencer: &SequencerClient,
    attempts: u32,
) -> Result<Vec<MarketWalk>, FeedError> {
    let started = Instant::now();
    let mut attempt = 0;
    let markets = loop {
        attempt += 1;
        match sequencer.markets().await {
            Ok(m) => break m.markets,
            Err(error) if attempt >= attempts => {
                return Err(FeedError::Unreachable {
                    url: sequencer.base_url().to_string(),
                    attempts: attempt,
                    elapsed: started.elapsed(),
                    error,
                });
            }
            Err(e) => {
                tracing::info!(error = %e, attempt, attempts, "waiting for the sequencer");
                tokio::time::sleep(CONNECT_RETRY).await;
            }
        }
    };
    if markets.is_empty() {
        return Err(FeedError::NoMarkets);
    }
    Ok(markets
        .iter()
        .map(|m| MarketWalk::new(&m.params, m.mark_price))
        .collect())
}
