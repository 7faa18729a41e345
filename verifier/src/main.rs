//! `vigil-verifier`: the verifier as a process. Parses the command line (with
//! `VIGIL_VERIFIER_*` environment fallbacks) into a validated `Config`, binds the listener,
//! prints `listening <addr>` as the first stdout line (also written to
//! `<data-dir>/listen.addr`), and follows the settlement layer until SIGTERM or Ctrl-C.
//!
//! Exit codes: 0 after a clean shutdown, 1 when the service fails, 2 for a bad
//! configuration (clap also uses 2 for usage errors).

use anyhow::Context;
use clap::Parser;
use protocol::api::verifier::Mode;
use protocol::primitives::parse_hex_fixed;
use protocol::signing::signing_key_from_bytes;
use service_shell::Launch;
use service_shell::genesis::GenesisArgs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use verifier::Config;
use verifier::config::defaults;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let launch = Launch::new("vigil-verifier", &cli.log, cli.listen);
    // Announced once it answers: a second instance on a data dir in use, or a data dir
    // that follows another settlement layer, never is.
    service_shell::serve(launch, cli.into_config(), |config, listener, shutdown| {
        verifier::run_with_ready(config, listener, shutdown, service_shell::announce)
    })
    .await
}

/// Vigil's verifier: re-executes every batch posted to the settlement layer and proves fraud.
#[derive(Debug, Parser)]
#[command(name = "vigil-verifier", version, about, help_expected = true)]
struct Cli {
    /// Directory for the database and `listen.addr`; created if missing.
    #[arg(
        long,
        env = "VIGIL_VERIFIER_DATA_DIR",
        default_value = "./vigil-verifier-data"
    )]
    data_dir: PathBuf,
    /// Address to serve the status API on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "VIGIL_VERIFIER_LISTEN", default_value = defaults::LISTEN)]
    listen: SocketAddr,
    /// Base URL of the settlement layer.
    #[arg(long, env = "VIGIL_VERIFIER_SETTLEMENT_URL", default_value = defaults::SETTLEMENT_URL)]
    settlement_url: String,
    /// `watch` reports fraud; `challenge` also submits the proofs.
    #[arg(long, env = "VIGIL_VERIFIER_MODE", default_value = "watch")]
    mode: Mode,
    /// The challenger's L1 secret key, 0x-hex (32 bytes). Required in challenge mode.
    #[arg(
        long,
        env = "VIGIL_VERIFIER_CHALLENGER_KEY",
        hide_env_values = true,
        conflicts_with = "challenger_key_file"
    )]
    challenger_key: Option<String>,
    /// A file holding the challenger's secret key as 0x-hex.
    #[arg(long, env = "VIGIL_VERIFIER_CHALLENGER_KEY_FILE")]
    challenger_key_file: Option<PathBuf>,
    /// Bond to hold before challenging (the settlement layer's minimum wins when larger).
    #[arg(long, env = "VIGIL_VERIFIER_BOND", default_value_t = 0)]
    bond: u64,
    /// How long one long-poll of the event log waits, and the pause before retries.
    #[arg(long, env = "VIGIL_VERIFIER_POLL_INTERVAL_MS", default_value_t = defaults::POLL_INTERVAL_MS)]
    poll_interval_ms: u64,
    /// Events fetched per request.
    #[arg(long, env = "VIGIL_VERIFIER_PAGE_SIZE", default_value_t = defaults::PAGE_SIZE)]
    page_size: u32,
    /// Timeout of one request to the settlement layer.
    #[arg(long, env = "VIGIL_VERIFIER_REQUEST_TIMEOUT_MS", default_value_t = defaults::REQUEST_TIMEOUT_MS)]
    request_timeout_ms: u64,
    /// Signature recovery library: libsecp (libsecp256k1, about twice as fast) or k256
    /// (the protocol's reference). Both give the same answer on every signature.
    #[arg(long, env = "VIGIL_SIGNATURE_BACKEND", default_value = "libsecp")]
    signature_backend: libsecp_recovery::Backend,
    /// Finalized states kept in memory for /v1/proofs/…?batch=N after newer batches
    /// finalized (0: only the newest finalized and the verified pending ones).
    #[arg(long, env = "VIGIL_VERIFIER_PROOF_HISTORY_BATCHES", default_value_t = defaults::PROOF_HISTORY_BATCHES)]
    proof_history_batches: usize,
    /// Feed events (GET /v1/stream's batches, trades and fills) kept for clients to resume
    /// from; older resume points are answered with a resnapshot.
    #[arg(long, env = "VIGIL_VERIFIER_FEED_RETENTION_EVENTS", default_value_t = defaults::FEED_RETENTION_EVENTS)]
    feed_retention_events: u64,
    #[command(flatten)]
    connections: service_shell::http::ConnectionArgs,
    #[command(flatten)]
    genesis: GenesisArgs,
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `verifier=debug`. Logs go to
    /// stderr, coloured only on a terminal and never when NO_COLOR is set.
    #[arg(long, env = "VIGIL_LOG", default_value = "info")]
    log: String,
}

impl Cli {
    fn into_config(self) -> anyhow::Result<Config> {
        let genesis = self.genesis.load()?;
        let key_hex = match (&self.challenger_key, &self.challenger_key_file) {
            (Some(hex), _) => Some(hex.trim().to_string()),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading key file {}", path.display()))?
                    .trim()
                    .to_string(),
            ),
            (None, None) => None,
        };
        let mut config = Config::new(self.data_dir, self.settlement_url, genesis);
        config.mode = self.mode;
        if let Some(hex) = key_hex {
            let bytes: [u8; 32] =
                parse_hex_fixed(&hex).context("the challenger key must be 0x + 64 hex digits")?;
            config.challenger_key =
                Some(signing_key_from_bytes(&bytes).map_err(|_| {
                    anyhow::anyhow!("the challenger key is not a valid secp256k1 key")
                })?);
        }
        config.bond = self.bond;
        config.poll_interval = Duration::from_millis(self.poll_interval_ms);
        config.page_size = self.page_size;
        config.request_timeout = Duration::from_millis(self.request_timeout_ms);
        config.signature_backend = self.signature_backend;
        config.proof_history_batches = self.proof_history_batches;
        config.feed_retention_events = self.feed_retention_events;
        config.connections = self.connections.limits();
        config.validate()?;
        Ok(config)
    }
}
