//! The arguments of the commands that run a process or a whole network (`vigil devnet`,
//! `vigil oracle`, `vigil demo`). They live with the rest of the clap types so that
//! `cli` depends on no command module: commands import their arguments from here, never
//! the other way round.

use clap::{Args, Subcommand};
use protocol::fault::Fault;
use protocol::genesis::{DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT};
use protocol::primitives::Address;
use sequencer::FaultPlan;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// Where the devnet keeps its data (default: <data-dir>/devnet). The same directory
    /// resumes the same chain.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Listen on N (settlement layer), N+1 (sequencer), N+2 and N+3 (verifiers), N+4
    /// (explorer); 0 lets the OS pick. Default: 9545, 9550, 9561, 9562, 9570.
    #[arg(long)]
    pub base_port: Option<u16>,
    /// Milliseconds between L1 blocks.
    #[arg(long, default_value_t = 1_000)]
    pub block_time_ms: u64,
    /// Mine L1 blocks only on `POST /v1/admin/mine` (no block timer).
    #[arg(long, conflicts_with = "block_time_ms")]
    pub manual_blocks: bool,
    /// L1 blocks a batch stays challengeable.
    #[arg(long, default_value_t = 20)]
    pub challenge_window_blocks: u64,
    /// L1 blocks within which a batch must include a queued (forced) message.
    #[arg(long, default_value_t = 10)]
    pub force_inclusion_deadline_blocks: u64,
    /// Exit mode: L1 blocks of overdue silence before the rollup freezes.
    #[arg(long, default_value_t = 30)]
    pub freeze_delay_blocks: u64,
    /// Exit mode: L1 blocks exit claims are registered before they are paid.
    #[arg(long, default_value_t = 20)]
    pub exit_claim_period_blocks: u64,
    /// Funded dev accounts (dev0, dev1, …).
    #[arg(long, default_value_t = 3)]
    pub accounts: u64,
    /// Milliseconds between oracle price ticks.
    #[arg(long, default_value_t = 1_000)]
    pub oracle_interval_ms: u64,
    /// Seed of the oracle's random walk.
    #[arg(long, default_value_t = 0)]
    pub oracle_seed: u64,
    /// Run no oracle feed.
    #[arg(long)]
    pub no_oracle: bool,
    /// Challenge-mode verifiers to run (0 to 2); 0 leaves the cores to the sequencer, e.g.
    /// to benchmark it alone with `vigil bench`.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub verifiers: u8,
    #[arg(long, value_parser = parse_fault_plan, help = format!(
        "Demonstrations: the sequencer corrupts a batch, e.g. `wrong-root@batch=3` (kinds: {})",
        protocol::fault::Fault::names()
    ))]
    pub inject_fault: Option<FaultPlan>,
}

fn parse_fault_plan(text: &str) -> Result<FaultPlan, String> {
    text.parse()
}

#[derive(Debug, Args)]
pub struct OracleArgs {
    /// An oracle signer's private key (hex); repeat the flag (or separate with commas) to
    /// sign every price with several. Default: the three devnet oracle signers' keys,
    /// keccak256("vigil devnet oracle"), keccak256("vigil devnet oracle 1") and "… 2".
    #[arg(
        long,
        env = "VIGIL_ORACLE_KEY",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub key: Vec<String>,
    /// Milliseconds between ticks (each tick prices every market).
    #[arg(long, env = "VIGIL_ORACLE_INTERVAL_MS", default_value_t = 1_000)]
    pub interval_ms: u64,
    /// Seed of the random walk.
    #[arg(long, env = "VIGIL_ORACLE_SEED", default_value_t = 0)]
    pub seed: u64,
    /// Stop after this many ticks (default: run until Ctrl-C or SIGTERM).
    #[arg(long)]
    pub ticks: Option<u64>,
    /// The chain id actions are signed for.
    #[arg(long, env = "VIGIL_CHAIN_ID", default_value_t = DEVNET_CHAIN_ID)]
    pub chain_id: u64,
    /// The rollup contract (EIP-712 verifyingContract).
    #[arg(long, env = "VIGIL_ROLLUP_ADDRESS", default_value_t = DEVNET_VERIFYING_CONTRACT)]
    pub rollup_address: Address,
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// A faulty sequencer is caught: trades, a bad batch, a one-call fraud proof, the
    /// slash, the revert, honest re-sequencing, and a withdrawal claimed on L1.
    Fraud(FraudArgs),
    /// Users get out without the operator: the sequencer goes silent and loses its disk, a
    /// forced withdrawal goes overdue, a verifier's operator takes over from L1 data and
    /// includes it; then everyone goes silent, the rollup freezes and every account claims
    /// its equity with a verifier's proof.
    Escape,
    /// Options on BTC-PERP: the oracle posts an index and an implied volatility, the
    /// chain is listed, one account buys a call, another sells a put, and the positions,
    /// greeks and margin are shown, as the `vigil` commands a trader would type.
    Options,
}

#[derive(Debug, Args)]
pub struct FraudArgs {
    #[arg(long, default_value = "wrong-root", value_parser = parse_demo_fault, help = format!(
        "What the sequencer does wrong: one of {}",
        Fault::names()
    ))]
    pub fault: Fault,
    /// Leave the demo's network up when the story is told (watch it in the explorer,
    /// whose URL is printed); Ctrl-C stops it.
    #[arg(long)]
    pub keep_open: bool,
}

fn parse_demo_fault(text: &str) -> Result<Fault, String> {
    text.parse()
}
