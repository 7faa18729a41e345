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

/// The load a bench offers: `vigil bench`'s flags (flattened into its `BenchArgs`), whose
/// defaults are also what [`BenchConfig::new`] starts from, so they are written once.
#[derive(Debug, Clone, clap::Args)]
pub struct Load {
    /// Signed orders to submit in total.
    #[arg(long, default_value_t = 2_000)]
    pub count: u64,
    /// Requests in flight at once (with --rate: the most allowed in flight).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Open loop: offer this many orders per second on a fixed schedule, whatever the
    /// answers, and time each from when it was due (stalls count). Without it: a closed
    /// loop that finds the rate the sequencer sustains.
    #[arg(long)]
    pub rate: Option<u64>,
    /// `http`: one `POST /v1/tx` per order; `ws`: frames on the streaming intake
    /// (`/v1/tx/ws`, one connection per 64 orders in flight).
    #[arg(long, value_enum, default_value_t = Transport::Http)]
    pub transport: Transport,
    /// Fresh trading accounts to create and fund (faucet + deposit on L1).
    #[arg(long, default_value_t = 16)]
    pub accounts: usize,
    /// The market to trade (default: the first one).
    #[arg(long)]
    pub market: Option<String>,
    /// Signatures to recover when measuring this machine's recovery rate.
    #[arg(long, default_value_t = 4_000)]
    pub recoveries: usize,
}

impl Default for Load {
    /// The flags' defaults, read from the flags themselves.
    fn default() -> Self {
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            load: Load,
        }
        <Flags as clap::Parser>::parse_from(["bench"]).load
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub l1_url: String,
    pub sequencer_url: String,
    /// What to offer: the flags' defaults unless set.
    pub load: Load,
    /// micro-USDC each account deposits (capped by the faucet's maximum).
    pub deposit: u64,
    /// How long to wait for the deposits to be credited on L2.
    pub fund_timeout: Duration,
}

impl BenchConfig {
    /// Defaults for everything but the endpoints: the flags' [`Load`] (2,000 orders, 32 in
    /// flight, 16 accounts, 4,000 recoveries), 10,000 USDC per account.
    pub fn new(l1_url: &str, sequencer_url: &str) -> BenchConfig {
        BenchConfig {
            l1_url: l1_url.to_string(),
            sequencer_url: sequencer_url.to_string(),
            load: Load::default(),
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
    if config.load.count == 0 || config.load.concurrency == 0 || config.load.accounts == 0 {
        return Err(BenchError::Config(
            "count, concurrency and accounts must be at least 1".into(),
        ));
    }
    if config.load.rate == Some(0) {
        return Err(BenchError::Config(
            "--rate must be at least 1 order per second (or leave it out for a closed loop)".into(),
        ));
    }
    let l1 = SettlementClient::new(&config.l1_url);
    let seq = SequencerClient::new(&config.sequencer_url);
    let params = l1.status().await?.params;
    let domain = protocol::signing::domain_separator(params.chain_id, &params.verifying_contract);
    let markets = seq.markets().await?.markets;
    let market = match &config.load.market {
        None => markets.first(),
        Some(text) => {
            let id = text.parse::<u32>().ok();
            markets
                .iter()
                .find(|m| m.params.symbol.eq_ignore_ascii_case(text) || Some(m.params.id) == id)
        }
    }
    .ok_or_else(|| BenchError::UnknownMarket(config.load.market.clone().unwrap_or_default()))?
    .clone();
    if market.mark_price == 0 {
        return Err(BenchError::NoPrice(market.params.symbol));
    }
    let deposit = config.deposit.min(params.faucet_max_amount);
    progress::phase(
        progress,
        format!(
            "funding {} fresh accounts on L1, waiting for their deposits on L2",
            config.load.accounts
        ),
    );
    let keys = fund::fund_accounts(
        &l1,
        &seq,
        config.load.accounts,
        deposit,
        config.fund_timeout,
    )
    .await?;
    progress::phase(progress, format!("signing {} orders", config.load.count));
    let orders = load::sign_orders(&keys, &market, config.load.count, &domain).await?;
    // The rate shown is the submissions', not diluted by the funding and signing above.
    progress::orders(progress, config.load.count);
    let submitter =
        transport::Submitter::open(&seq, config.load.transport, config.load.concurrency).await?;
    let outcome = match config.load.rate {
        Some(rate) => {
            load::submit_at_rate(&submitter, orders, rate, config.load.concurrency, progress)
                .await?
        }
        None => load::submit_all(&submitter, orders, config.load.concurrency, progress).await?,
    };
    progress::orders_done(progress);
    let recoveries = config.load.recoveries.max(1);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_load_is_the_flags_defaults() {
        let load = Load::default();
        assert_eq!(
            (load.count, load.concurrency, load.rate, load.transport),
            (2_000, 32, None, Transport::Http)
        );
        assert_eq!(
            (load.accounts, load.market, load.recoveries),
            (16, None, 4_000)
        );
    }
}
