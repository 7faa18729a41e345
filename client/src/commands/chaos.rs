//! `vigil chaos`: the thin command over `crate::chaos` — its flags, a seed from OS
//! randomness unless one is given (printed either way, so a run can be replayed), the
//! summary in text or `--json`, and exit 1 when any guarantee was violated.

use super::{Output, UsageError, emit};
use crate::chaos::{self, ChaosConfig, ChaosError};
use crate::cli::Cli;
use std::path::PathBuf;
use std::time::Duration;

/// Kill -9 the real service binaries at random points under load and check, after every
/// restart, that no acknowledged action was lost, doubled or changed.
#[derive(Debug, Clone, clap::Args)]
pub struct ChaosArgs {
    /// Kill cycles to run (at most; see --minutes).
    #[arg(long, default_value_t = 20)]
    pub cycles: u64,
    /// Start no new cycle after this many minutes (a long run: a large --cycles and this).
    #[arg(long)]
    pub minutes: Option<u64>,
    /// Concurrent trader tasks submitting signed actions.
    #[arg(long, default_value_t = 8)]
    pub traders: u64,
    /// Seed of the kill schedule (which service, when); default: fresh, and printed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Each kill comes at a uniformly random point this many ms into the cycle's load, at most.
    #[arg(long, default_value_t = 300)]
    pub max_kill_delay_ms: u64,
    /// Re-execute the posted chain from genesis every this many cycles (0: at the end only).
    #[arg(long, default_value_t = 10)]
    pub replay_every: u64,
    /// Where vigil-contracts-mock, vigil-sequencer and vigil-verifier are (default: the
    /// directory this `vigil` runs from, as after `cargo build --release --bins`).
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Keep the services' data dirs and logs here (default: a temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub async fn run(cli: &Cli, args: &ChaosArgs) -> anyhow::Result<Output> {
    let bin_dir = match &args.bin_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_exe()?
            .parent()
            .map(PathBuf::from)
            .ok_or_else(|| {
                UsageError("cannot tell where vigil runs from; pass --bin-dir".into())
            })?,
    };
    let seed = match args.seed {
        Some(seed) => seed,
        None => {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes)
                .map_err(|e| anyhow::anyhow!("no OS randomness for a seed: {e}"))?;
            u64::from_le_bytes(bytes)
        }
    };
    if !cli.json {
        eprintln!("chaos: seed {seed} (replay the schedule with --seed {seed})");
    }
    let mut config = ChaosConfig::new(bin_dir, seed);
    config.dir = args.dir.clone();
    config.cycles = args.cycles;
    config.duration = args.minutes.map(|m| Duration::from_secs(m * 60));
    config.traders = args.traders;
    config.max_kill_delay = Duration::from_millis(args.max_kill_delay_ms);
    config.replay_every = args.replay_every;
    config.progress_every = if cli.json { 0 } else { 50 };
    let report = chaos::run(&config).await.map_err(|e| match e {
        ChaosError::Config(_) => anyhow::Error::from(UsageError(format!("{e} (seed {seed})"))),
        other => anyhow::anyhow!("{other} (seed {seed})"),
    })?;
    let output = Output {
        text: report.text(),
        json: serde_json::to_value(&report)?,
    };
    if report.ok {
        return Ok(output);
    }
    emit(&output.render(cli.json));
    anyhow::bail!(
        "{} guarantee violations in {} cycles (seed {seed})",
        report.findings.violations(),
        report.cycles
    )
}
