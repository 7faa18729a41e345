//! `vigil bench`: the thin command over `crate::bench` — resolve the endpoints, show a
//! progress bar on a terminal (never with `--json`), print the report.

use super::Output;
use super::UsageError;
use super::network::Endpoints;
use crate::bench::{self, BenchConfig, BenchError};
use crate::cli::{BenchArgs, Cli};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use std::io::IsTerminal as _;

pub async fn run(cli: &Cli, args: &BenchArgs) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let mut config = BenchConfig::new(&endpoints.l1_url, &endpoints.sequencer_url);
    config.count = args.count;
    config.concurrency = args.concurrency;
    config.rate = args.rate;
    config.transport = args.transport;
    config.accounts = args.accounts;
    config.market = args.market.clone();
    config.recoveries = args.recoveries;
    let progress = if cli.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg} ({rate})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", average_rate);
        ProgressBar::new(args.count).with_style(style)
    };
    let report = bench::run(&config, &progress).await.map_err(|e| match e {
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

/// The live rate as the report computes it: done ÷ time since the bar was (re)set. The
/// bar's own `{per_sec}` is a smoothed recent estimate that lagged far behind (2.46/s at
/// 106 orders against a final 746/s).
fn average_rate(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let secs = state.elapsed().as_secs_f64();
    let rate = if secs > 0.0 {
        state.pos() as f64 / secs
    } else {
        0.0
    };
    let _ = write!(out, "{rate:.0}/s");
}
