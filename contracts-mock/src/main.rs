//! `vigil-contracts-mock`: the settlement layer as a process. Parses the command line (with
//! environment fallbacks) into a validated `Config`, binds the listener, prints
//! `listening <addr>` as the first stdout line (launchers and tests read it; the address is
//! also written to `<data-dir>/listen.addr`), and serves until SIGTERM or Ctrl-C.
//!
//! Exit codes: 0 after a clean shutdown, 1 when the service fails, 2 for a bad
//! configuration (clap also uses 2 for usage errors).

use clap::Parser;
use contracts_mock::Config;
use contracts_mock::config::defaults;
use service_shell::Launch;
use service_shell::genesis::GenesisArgs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let launch = Launch::new("vigil-contracts-mock", &cli.log, cli.listen);
    // Announced once it answers: a second instance on a data dir in use never is.
    service_shell::serve(launch, cli.into_config(), |config, listener, shutdown| {
        contracts_mock::run_with_ready(config, listener, shutdown, service_shell::announce)
    })
    .await
}

/// Vigil's settlement layer (the L1 stand-in).
#[derive(Debug, Parser)]
#[command(name = "vigil-contracts-mock", version, about, help_expected = true)]
struct Cli {
    /// Directory for the database and `listen.addr`; created if missing.
    #[arg(long, env = "VIGIL_L1_DATA_DIR", default_value = "./vigil-l1-data")]
    data_dir: PathBuf,
    /// Address to serve HTTP on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "VIGIL_L1_LISTEN", default_value = "127.0.0.1:9545")]
    listen: SocketAddr,
    #[command(flatten)]
    genesis: GenesisArgs,
    /// Milliseconds between blocks.
    #[arg(long, env = "VIGIL_L1_BLOCK_TIME_MS", default_value_t = defaults::BLOCK_TIME_MS)]
    block_time_ms: u64,
    /// Mine blocks only through `POST /v1/admin/mine` (tests, demos).
    #[arg(long, env = "VIGIL_L1_MANUAL_BLOCKS", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false)]
    manual_blocks: bool,
    /// Challenge window W in blocks: challengeable while head ≤ posted + W.
    #[arg(long, env = "VIGIL_L1_CHALLENGE_WINDOW_BLOCKS", default_value_t = defaults::CHALLENGE_WINDOW_BLOCKS)]
    challenge_window_blocks: u64,
    /// Force-inclusion deadline D in blocks: a message queued at block e must be consumed
    /// by a batch posted at head ≤ e + D.
    #[arg(long, env = "VIGIL_L1_FORCE_INCLUSION_DEADLINE_BLOCKS", default_value_t = defaults::FORCE_INCLUSION_DEADLINE_BLOCKS)]
    force_inclusion_deadline_blocks: u64,
    /// Freeze delay F in blocks: the rollup freezes (exit mode) once a queue message has
    /// been overdue this long with no batch posted.
    #[arg(long, env = "VIGIL_L1_FREEZE_DELAY_BLOCKS", default_value_t = defaults::FREEZE_DELAY_BLOCKS)]
    freeze_delay_blocks: u64,
    /// Exit claim period P in blocks: claims are registered this long, then paid.
    #[arg(long, env = "VIGIL_L1_EXIT_CLAIM_PERIOD_BLOCKS", default_value_t = defaults::EXIT_CLAIM_PERIOD_BLOCKS)]
    exit_claim_period_blocks: u64,
    /// Smallest bond (micro-USDC) a sequencer must hold to post a batch.
    #[arg(long, env = "VIGIL_L1_MIN_SEQUENCER_BOND", default_value_t = defaults::MIN_SEQUENCER_BOND)]
    min_sequencer_bond: u64,
    /// Smallest bond (micro-USDC) a challenger must hold to submit a fraud proof; 0: none.
    #[arg(long, env = "VIGIL_L1_MIN_CHALLENGER_BOND", default_value_t = defaults::MIN_CHALLENGER_BOND)]
    min_challenger_bond: u64,
    /// Share of a slashed bond paid to the challenger (bps); the rest is burned.
    #[arg(long, env = "VIGIL_L1_SLASH_SHARE_BPS", default_value_t = defaults::SLASH_SHARE_BPS)]
    slash_share_bps: u32,
    /// Batch timestamps must be within this many ms of the L1 head's timestamp.
    #[arg(long, env = "VIGIL_L1_MAX_TIMESTAMP_DRIFT_MS", default_value_t = defaults::MAX_TIMESTAMP_DRIFT_MS)]
    max_timestamp_drift_ms: u64,
    /// Largest faucet mint per call; 0 disables the faucet.
    #[arg(long, env = "VIGIL_L1_FAUCET_MAX", default_value_t = defaults::FAUCET_MAX_AMOUNT)]
    faucet_max_amount: u64,
    /// Largest request body accepted, in bytes (a bigger one gets 413).
    #[arg(long, env = "VIGIL_L1_MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES)]
    max_body_bytes: usize,
    #[command(flatten)]
    connections: service_shell::http::ConnectionArgs,
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `contracts_mock=debug`. Logs go to
    /// stderr, coloured only on a terminal and never when NO_COLOR is set.
    #[arg(long, env = "VIGIL_LOG", default_value = "info")]
    log: String,
}

impl Cli {
    fn into_config(self) -> anyhow::Result<Config> {
        let genesis = self.genesis.load()?;
        let mut config = Config::new(self.data_dir, genesis);
        config.block_time_ms = (!self.manual_blocks).then_some(self.block_time_ms);
        config.challenge_window_blocks = self.challenge_window_blocks;
        config.force_inclusion_deadline_blocks = self.force_inclusion_deadline_blocks;
        config.freeze_delay_blocks = self.freeze_delay_blocks;
        config.exit_claim_period_blocks = self.exit_claim_period_blocks;
        config.min_sequencer_bond = self.min_sequencer_bond;
        config.min_challenger_bond = self.min_challenger_bond;
        config.slash_share_bps = self.slash_share_bps;
        config.max_timestamp_drift_ms = self.max_timestamp_drift_ms;
        config.faucet_max_amount = self.faucet_max_amount;
        config.max_body_bytes = self.max_body_bytes;
        config.connections = self.connections.limits();
        config.validate()?;
        Ok(config)
    }
}
