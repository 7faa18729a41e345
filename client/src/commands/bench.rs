//! `vigil bench`: the thin command over `crate::bench` — resolve the endpoints, show its
//! progress on a terminal (`bench::progress`; never with `--json`), print the report.

use super::Output;
use super::UsageError;
use super::network::Endpoints;
use crate::bench::{self, BenchConfig, BenchError};
use crate::cli::{BenchArgs, Cli};
use indicatif::ProgressDrawTarget;
use std::io::IsTerminal as _;

pub async fn run(cli: &Cli, args: &BenchArgs) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let mut config = BenchConfig::new(&endpoints.l1_url, &endpoints.sequencer_url);
    config.load = args.load.clone();
    let target = if cli.json || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let progress = bench::progress::bar(target);
    let report = bench::run(&config, &progress).await;
    // Cleared on failure too, so the error is not printed after a stale bar.
    progress.finish_and_clear();
    let report = report.map_err(|e| match e {
        BenchError::Config(_) | BenchError::UnknownMarket(_) => {
            anyhow::Error::from(UsageError(e.to_string()))
        }
        other => other.into(),
    })?;
    Ok(Output {
        text: report.text(),
        json: serde_json::to_value(&report)?,
    })
}
