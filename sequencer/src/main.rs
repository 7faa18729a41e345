//! `vigil-sequencer`: the sequencer as a process. Parses the command line (with `VIGIL_SEQ_*`
//! environment fallbacks, for containers) into a validated `Config`, binds the listener
//! (a taken port fails at once), recovers, then prints `listening <addr>` as the first stdout
//! line once it answers requests (launchers and tests wait for it; the address is also
//! written to `<data-dir>/listen.addr` then), and serves until SIGTERM or Ctrl-C.
//!
//! Exit codes: 0 after a clean shutdown, 1 when the service fails, 2 for a bad
//! configuration (clap also uses 2 for usage errors).

use anyhow::Context;
use clap::Parser;
use protocol::fault::Fault;
use protocol::primitives::parse_hex_fixed;
use protocol::signing::signing_key_from_bytes;
use sequencer::{Config, FaultPlan, Limits};
use service_shell::Launch;
use service_shell::genesis::GenesisArgs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let launch = Launch::new("vigil-sequencer", &cli.log, cli.listen);
    // Announced only when recovery is complete and requests are answered.
    service_shell::serve(launch, cli.into_config(), |config, listener, shutdown| {
        sequencer::run_with_ready(config, listener, shutdown, service_shell::announce)
    })
    .await
}

/// Vigil's sequencer.
#[derive(Debug, Parser)]
#[command(name = "vigil-sequencer", version, about, help_expected = true)]
struct Cli {
    /// Directory for the database and `listen.addr`; created if missing.
    #[arg(long, env = "VIGIL_SEQ_DATA_DIR", default_value = "./vigil-seq-data")]
    data_dir: PathBuf,
    /// Address to serve HTTP on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "VIGIL_SEQ_LISTEN", default_value = "127.0.0.1:9550")]
    listen: SocketAddr,
    /// Base URL of the settlement layer.
    #[arg(
        long,
        env = "VIGIL_SEQ_SETTLEMENT_URL",
        default_value = "http://127.0.0.1:9545"
    )]
    settlement_url: String,
    /// The sequencer's private key, 0x-prefixed hex (prefer --key-file).
    #[arg(
        long,
        env = "VIGIL_SEQ_KEY",
        conflicts_with = "key_file",
        hide_env_values = true
    )]
    key: Option<String>,
    /// A file holding the sequencer's private key as 0x-prefixed hex.
    #[arg(long, env = "VIGIL_SEQ_KEY_FILE")]
    key_file: Option<PathBuf>,
    #[command(flatten)]
    genesis: GenesisArgs,
    /// Seal a batch once it holds this many transactions…
    #[arg(long, env = "VIGIL_SEQ_BATCH_MAX_TXS", default_value_t = 1_000)]
    batch_max_txs: usize,
    /// …or this many milliseconds after it opened.
    #[arg(long, env = "VIGIL_SEQ_BATCH_INTERVAL_MS", default_value_t = 500)]
    batch_interval_ms: u64,
    /// Write a state snapshot when a batch finalizes this many batches after the last one.
    #[arg(long, env = "VIGIL_SEQ_SNAPSHOT_EVERY_BATCHES", default_value_t = 50)]
    snapshot_every_batches: u64,
    /// Finalized states kept in memory for /v1/proofs/…?batch=N after newer batches
    /// finalized (0: only the newest finalized and the unfinalized ones).
    #[arg(long, env = "VIGIL_SEQ_PROOF_HISTORY_BATCHES", default_value_t = 1_024)]
    proof_history_batches: usize,
    /// Liquidation keeper scan interval; 0 disables the keeper.
    #[arg(long, env = "VIGIL_SEQ_KEEPER_INTERVAL_MS", default_value_t = 1_000)]
    keeper_interval_ms: u64,
    /// Do not bond the settlement layer's minimum from the L1 balance at startup.
    #[arg(long, env = "VIGIL_SEQ_NO_AUTO_BOND", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false)]
    no_auto_bond: bool,
    /// With an empty data dir (new, or its disk lost), rebuild the state from the
    /// settlement layer's batches (the event log's data alone) before serving, checking
    /// the L1 tip's root.
    #[arg(long, env = "VIGIL_SEQ_BOOTSTRAP_FROM_L1", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false)]
    bootstrap_from_l1: bool,
    #[arg(long, env = "VIGIL_SEQ_INJECT_FAULT", help = format!(
        "Demonstrations: corrupt one batch, KIND@batch=N with KIND one of {}",
        Fault::names()
    ))]
    inject_fault: Option<FaultPlan>,
    /// Largest request body accepted, in bytes (a bigger one gets 413 before it is read).
    #[arg(long, env = "VIGIL_SEQ_MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Most actions in one `POST /v1/txs` (more: 413 naming the limit).
    #[arg(long, env = "VIGIL_SEQ_MAX_BULK_ACTIONS", default_value_t = Limits::default().max_bulk_actions)]
    max_bulk_actions: usize,
    /// Actions admitted and not yet answered before new ones get 503.
    #[arg(long, env = "VIGIL_SEQ_MAX_INFLIGHT_ACTIONS", default_value_t = Limits::default().max_inflight_actions)]
    max_inflight_actions: usize,
    /// Admit a request only if the actions queued ahead of it would be done within this
    /// many ms at the executor's measured rate (else 503 at once).
    #[arg(long, env = "VIGIL_SEQ_MAX_QUEUE_WAIT_MS", default_value_t = 50)]
    max_queue_wait_ms: u64,
    /// The queue budget in actions when the measured rate would give less.
    #[arg(long, env = "VIGIL_SEQ_MIN_QUEUE_BUDGET_ACTIONS", default_value_t = Limits::default().min_queue_budget_actions)]
    min_queue_budget_actions: u64,
    /// Requests handled at once; one more is answered 503 at once.
    #[arg(long, env = "VIGIL_SEQ_MAX_CONCURRENT_REQUESTS", default_value_t = Limits::default().max_concurrent_requests)]
    max_concurrent_requests: usize,
    /// Open connections in all before new ones are closed.
    #[arg(long, env = "VIGIL_SEQ_MAX_CONNECTIONS", default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Open connections from one IP address before its new ones are closed.
    #[arg(long, env = "VIGIL_SEQ_MAX_CONNECTIONS_PER_PEER", default_value_t = Limits::default().max_connections_per_peer)]
    max_connections_per_peer: usize,
    /// A client must send its request headers within this many ms.
    #[arg(long, env = "VIGIL_SEQ_HEADER_TIMEOUT_MS", default_value_t = 5_000)]
    header_timeout_ms: u64,
    /// A connection whose reads or writes make no progress this long is closed.
    #[arg(long, env = "VIGIL_SEQ_STALL_TIMEOUT_MS", default_value_t = 60_000)]
    stall_timeout_ms: u64,
    /// A client must send its whole request body within this many ms (else 408).
    #[arg(long, env = "VIGIL_SEQ_BODY_TIMEOUT_MS", default_value_t = 10_000)]
    body_timeout_ms: u64,
    /// A submission not durable within this many ms gets 504 `timed_out` (it may still be sequenced: look it up by hash).
    #[arg(long, env = "VIGIL_SEQ_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    request_timeout_ms: u64,
    /// Signature recovery library for incoming actions: libsecp (libsecp256k1, about twice
    /// as fast) or k256 (the protocol's reference). Both accept and refuse exactly alike.
    #[arg(long, env = "VIGIL_SIGNATURE_BACKEND", default_value = "libsecp")]
    signature_backend: libsecp_recovery::Backend,
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `sequencer=debug`. Logs go to
    /// stderr, coloured only on a terminal and never when NO_COLOR is set.
    #[arg(long, env = "VIGIL_LOG", default_value = "info")]
    log: String,
}

fn parse_key(text: &str) -> anyhow::Result<k256::ecdsa::SigningKey> {
    let bytes = parse_hex_fixed::<32>(text.trim())
        .map_err(|e| anyhow::anyhow!("the sequencer key is not 32 bytes of 0x hex: {e}"))?;
    signing_key_from_bytes(&bytes).map_err(|e| anyhow::anyhow!("the sequencer key: {e}"))
}

impl Cli {
    fn into_config(self) -> anyhow::Result<Config> {
        let key = match (&self.key, &self.key_file) {
            (Some(hex), _) => parse_key(hex)?,
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading key file {}", path.display()))?;
                parse_key(&text).with_context(|| format!("key file {}", path.display()))?
            }
            (None, None) => anyhow::bail!("a sequencer key is required: --key-file or --key"),
        };
        let genesis = self.genesis.load()?;
        let mut config = Config::new(self.data_dir, self.settlement_url, genesis, key);
        config.batch_max_txs = self.batch_max_txs;
        config.batch_interval = Duration::from_millis(self.batch_interval_ms);
        config.snapshot_every_batches = self.snapshot_every_batches;
        config.proof_history_batches = self.proof_history_batches;
        config.keeper_interval =
            (self.keeper_interval_ms > 0).then(|| Duration::from_millis(self.keeper_interval_ms));
        config.auto_bond = !self.no_auto_bond;
        config.bootstrap_from_l1 = self.bootstrap_from_l1;
        config.inject_fault = self.inject_fault;
        config.signature_backend = self.signature_backend;
        config.limits = Limits {
            max_body_bytes: self.max_body_bytes,
            max_bulk_actions: self.max_bulk_actions,
            max_inflight_actions: self.max_inflight_actions,
            max_queue_wait: Duration::from_millis(self.max_queue_wait_ms),
            min_queue_budget_actions: self.min_queue_budget_actions,
            max_concurrent_requests: self.max_concurrent_requests,
            max_connections: self.max_connections,
            max_connections_per_peer: self.max_connections_per_peer,
            header_timeout: Duration::from_millis(self.header_timeout_ms),
            stall_timeout: Duration::from_millis(self.stall_timeout_ms),
            body_timeout: Duration::from_millis(self.body_timeout_ms),
            request_timeout: Duration::from_millis(self.request_timeout_ms),
        };
        config.validate()?;
        Ok(config)
    }
}
