//! `vigil devnet`: run the whole network in this process until Ctrl-C or SIGTERM, after
//! printing its endpoints and funded dev accounts (`--json`: the `devnet.json` manifest,
//! on one line). The orchestration is `crate::devnet`; this is only flags and printing.

use super::{Output, UsageError, data_dir};
use crate::cli::{Cli, DevnetArgs};
use crate::devnet::{Devnet, DevnetConfig, DevnetManifest, Ports};
use crate::oracle::FeedConfig;
use std::time::Duration;

impl DevnetArgs {
    fn config(&self, cli: &Cli) -> Result<DevnetConfig, UsageError> {
        let dir = match &self.dir {
            Some(dir) => dir.clone(),
            None => data_dir(cli)?.join("devnet"),
        };
        if self.oracle_interval_ms < 10 {
            return Err(UsageError(
                "--oracle-interval-ms must be at least 10".into(),
            ));
        }
        let mut config = DevnetConfig::new(dir);
        config.ports = Ports::from_base(self.base_port);
        config.block_time_ms = (!self.manual_blocks).then_some(self.block_time_ms);
        config.challenge_window_blocks = self.challenge_window_blocks;
        config.force_inclusion_deadline_blocks = self.force_inclusion_deadline_blocks;
        config.freeze_delay_blocks = self.freeze_delay_blocks;
        config.exit_claim_period_blocks = self.exit_claim_period_blocks;
        config.accounts = self.accounts;
        config.verifiers = usize::from(self.verifiers);
        config.oracle = (!self.no_oracle).then(|| FeedConfig {
            interval: Duration::from_millis(self.oracle_interval_ms),
            seed: self.oracle_seed,
            ..FeedConfig::default()
        });
        config.inject_fault = self.inject_fault;
        Ok(config)
    }
}

pub async fn run(cli: &Cli, args: &DevnetArgs) -> anyhow::Result<Output> {
    let config = args.config(cli)?;
    let dir = config.dir.clone();
    let stop = service_shell::shutdown_signal();
    let net = Devnet::start(config).await.map_err(|e| match e {
        crate::devnet::DevnetError::Config(why) => anyhow::Error::new(UsageError(why)),
        other => other.into(),
    })?;
    if cli.json {
        super::emit(&serde_json::to_string(net.manifest())?);
    } else {
        super::emit(&describe(net.manifest(), &dir, args));
    }
    let failed = net.failed();
    let reason = tokio::select! {
        why = failed => Some(why),
        () = stop => None,
    };
    tracing::info!("stopping the devnet");
    let stopped = net.shutdown().await;
    if let Some(why) = reason {
        anyhow::bail!("the devnet stopped: {why}");
    }
    stopped?;
    Ok(Output {
        text: "devnet stopped".into(),
        json: serde_json::json!({"stopped": true, "dir": dir}),
    })
}

/// The banner: endpoints, markets, accounts, and how to use them.
fn describe(m: &DevnetManifest, dir: &std::path::Path, args: &DevnetArgs) -> String {
    let mut lines = vec![
        format!("Vigil devnet running (data in {})", dir.display()),
        String::new(),
        format!("  settlement layer (L1)  {}", m.l1_url),
        format!("  sequencer              {}", m.sequencer_url),
    ];
    for (i, url) in m.verifier_urls.iter().enumerate() {
        lines.push(format!("  verifier {}             {url}", i + 1));
    }
    if let Some(url) = &m.explorer_url {
        lines.push(format!("  explorer (open in a browser)  {url}"));
    }
    lines.push(format!(
        "  chain id {}, verifying contract {}",
        m.chain_id, m.verifying_contract
    ));
    let markets: Vec<_> = m
        .markets
        .iter()
        .map(|k| format!("{} (id {})", k.symbol, k.id))
        .collect();
    lines.push(format!("  markets: {}", markets.join(", ")));
    if let Some(plan) = &args.inject_fault {
        lines.push(format!("  fault injection armed: {plan}"));
    }
    lines.push(String::new());
    lines.push(format!(
        "Funded dev accounts (public throwaway keys; {} USDC on L1, {} of it deposited on L2):",
        crate::units::format_usdc_fixed(crate::devnet::config::ACCOUNT_FUNDS),
        crate::units::format_usdc_fixed(crate::devnet::config::DEPOSIT)
    ));
    for a in &m.accounts {
        lines.push(format!("  {:<5} {}  {}", a.name, a.address, a.private_key));
    }
    lines.push(String::new());
    lines.push(format!(
        "Manifest: {} — import a key with `vigil keys import --name dev0 --private-key <key>`.",
        DevnetManifest::path_in(dir).display()
    ));
    lines.push("Ctrl-C stops everything; the same --dir resumes.".into());
    lines.join("\n")
}
