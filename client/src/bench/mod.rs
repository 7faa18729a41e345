//! The load generator behind `vigil bench`, as a library so tests and the devnet's
//! end-to-end run can call it: fresh accounts are funded through the settlement layer
//! (faucet + deposit, then waiting until the sequencer credits them), a bounded number of
//! crossing orders is signed up front, then submitted by `concurrency` concurrent clients;
//! the report gives accepted actions/s, latency percentiles, rejections by code, and this
//! machine's signature-recovery rate measured in the same run, with their ratio (how close
//! the sequencer gets to the cost of the one step it cannot avoid per action).
//!
//! Self-sufficient against any devnet: it needs only the faucet, the deposit path and an
//! oracle price on the market (the devnet's feed provides it).

mod fund;
mod load;
pub mod progress;
pub mod recovery;
mod report;
mod transport;

pub use report::{BenchReport, percentile};
pub use transport::Transport;

use crate::sequencer::SequencerClient;
use indicatif::ProgressBar;
use service_client::http::ServiceError;
use service_client::settlement::SettlementClient;
use std::time::Duration;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub l1_url: String,
    pub sequencer_url: String,
    /// Signed orders submitted in total.
    pub count: u64,
    /// Requests in flight at once (closed loop), or the cap on them (open loop).
    pub concurrency: usize,
    /// Open loop: offer this many orders per second, scheduled by the clock.
    pub rate: Option<u64>,
    /// One `POST /v1/tx` per order, or frames on the WebSocket intake.
    pub transport: Transport,
    /// Fresh accounts to fund and trade from.
    pub accounts: usize,
    /// The market's symbol or id; `None` = the first market.
    pub market: Option<String>,
    /// Signatures recovered to measure the machine's recovery rate.
    pub recoveries: usize,
    /// micro-USDC each account deposits (capped by the faucet's maximum).
    pub deposit: u64,
    /// How long to wait for the deposits to be credited on L2.
    pub fund_timeout: Duration,
}

impl BenchConfig {
    /// Defaults for everything but the endpoints: 2,000 orders, 32 in flight, 16 accounts
    /// with 10,000 USDC each, 4,000 recoveries.
    pub fn new(l1_url: &str, sequencer_url: &str) -> BenchConfig {
        BenchConfig {
            l1_url: l1_url.to_string(),
            sequencer_url: sequencer_url.to_string(),
            count: 2_000,
            concurrency: 32,
            rate: None,
            transport: Transport::Http,
            accounts: 16,
            market: None,
            recoveries: 4_000,
            deposit: 10_000_000_000,
            fund_timeout: Duration::from_secs(60),
        }
    }
}

/// Why a bench could not run (rejected orders are not errors: they are in the report).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("bad bench settings: {0}")]
    Config(String),
    /// Boxed: a service error is large and benches fail rarely.
    #[error(transparent)]
    Service(Box<ServiceError>),
    #[error("unknown market {0:?}")]
    UnknownMarket(String),
    #[error(
        "{0} has no oracle price yet; the bench prices its orders at the mark (is the oracle feed running?)"
    )]
    NoPrice(String),
    #[error("deposits not credited on L2 after {secs} s ({credited} of {accounts} accounts)")]
    NotCredited {
        secs: u64,
        credited: usize,
        accounts: usize,
    },
    #[error("no OS randomness for bench keys: {0}")]
    Randomness(String),
    #[error("a bench task failed: {0}")]
    Task(String),
}

impl From<ServiceError> for BenchError {
    fn from(e: ServiceError) -> Self {
        BenchError::Service(Box::new(e))
    }
}

/// Runs the whole bench; `progress` (from [`progress::bar`], or `ProgressBar::hidden()`
/// for none) names each phase and counts the answered orders.
pub async fn run(config: &BenchConfig, progress: &ProgressBar) -> Result<BenchReport, BenchError> {
    if config.count == 0 || config.concurrency == 0 || config.accounts == 0 {
        return Err(BenchError::Config(
            "count, concurrency and accounts must be at least 1".into(),
        ));
    }
    if config.rate == Some(0) {
        return Err(BenchError::Config(
            "--rate must be at least 1 order per second (or leave it out for a closed loop)".into(),
        ));
    }
    let l1 = SettlementClient::new(&config.l1_url);
    let seq = SequencerClient::new(&config.sequencer_url);
    let params = l1.status().await?.params;
    let domain = protocol::signing::domain_separator(params.chain_id, &params.verifying_contract);
    let markets = seq.markets().await?.markets;
    let market = match &config.market {
        None => markets.first(),
        Some(text) => {
            let id = text.parse::<u32>().ok();
            markets
                .iter()
                .find(|m| m.params.symbol.eq_ignore_ascii_case(text) || Some(m.params.id) == id)
        }
    }
    .ok_or_else(|| BenchError::UnknownMarket(config.market.clone().unwrap_or_default()))?
    .clone();
    if market.mark_price == 0 {
        return Err(BenchError::NoPrice(market.params.symbol));
    }
    let deposit = config.deposit.min(params.faucet_max_amount);
    progress::phase(
        progress,
        format!(
            "funding {} fresh accounts on L1, waiting for their deposits on L2",
            config.accounts
        ),
    );
    let keys =
        fund::fund_accounts(&l1, &seq, config.accounts, deposit, config.fund_timeout).await?;
    progress::phase(progress, format!("signing {} orders", config.count));
    let orders = load::sign_orders(&keys, &market, config.count, &domain).await?;
    // The rate shown is the submissions', not diluted by the funding and signing above.
    progress::orders(progress, config.count);
    let submitter = transport::Submitter::open(&seq, config.transport, config.concurrency).await?;
    let outcome = match config.rate {
        Some(rate) => {
            load::submit_at_rate(&submitter, orders, rate, config.concurrency, progress).await?
        }
        None => load::submit_all(&submitter, orders, config.concurrency, progress).await?,
    };
    progress::orders_done(progress);
    let recoveries = config.recoveries.max(1);
    progress::phase(
        progress,
        format!(
            "measuring this machine's signature recovery rate ({recoveries} recoveries with k256, then libsecp256k1)"
        ),
    );
    let recoveries_per_sec = recovery::measure(recoveries, domain).await?;
    let libsecp_per_sec = recovery::measure_libsecp(recoveries, domain).await?;
    progress.finish_and_clear();
    Ok(BenchReport::new(
        &market.params.symbol,
        config,
        outcome,
        [recoveries_per_sec, libsecp_per_sec],
    ))
}

/// [`run`] without a progress bar (tests, the devnet's end-to-end run).
pub async fn run_quiet(config: &BenchConfig) -> Result<BenchReport, BenchError> {
    run(config, &ProgressBar::hidden()).await
}
