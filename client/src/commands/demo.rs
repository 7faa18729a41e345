//! `vigil demo fraud`: the fraud-proof story on a throwaway devnet, printed as a timeline
//! (`--json`: the timeline as JSON). Exit 0 only if every step happened as expected; a
//! failed step is a one-line error naming it, after the timeline so far.

use super::Output;
use crate::cli::Cli;
use crate::demo::{FraudDemoConfig, run_fraud_demo};
use clap::{Args, Subcommand};
use protocol::fault::Fault;

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// A faulty sequencer is caught: trades, a bad batch, a one-call fraud proof, the
    /// slash, the revert, honest re-sequencing, and a withdrawal claimed on L1.
    Fraud(FraudArgs),
}

#[derive(Debug, Args)]
pub struct FraudArgs {
    #[arg(long, default_value = "wrong-root", value_parser = parse_fault, help = format!(
        "What the sequencer does wrong: one of {}",
        Fault::names()
    ))]
    pub fault: Fault,
}

fn parse_fault(text: &str) -> Result<Fault, String> {
    text.parse()
}

pub async fn run(cli: &Cli, command: &DemoCommand) -> anyhow::Result<Output> {
    let DemoCommand::Fraud(args) = command;
    match run_fraud_demo(&FraudDemoConfig::new(args.fault)).await {
        Ok(timeline) => Ok(Output {
            text: format!(
                "Vigil fraud-proof demo (fault: {})\n\n{}\n\nevery step happened as expected",
                args.fault,
                timeline.render_text()
            ),
            json: serde_json::json!({"fault": args.fault, "ok": true, "timeline": timeline.to_json()}),
        }),
        Err(failure) => {
            if cli.json {
                super::emit(&serde_json::json!({"fault": args.fault, "ok": false, "failed_step": failure.step, "timeline": failure.timeline.to_json()}).to_string());
            } else {
                super::emit(&failure.timeline.render_text());
            }
            Err(failure.into())
        }
    }
}
