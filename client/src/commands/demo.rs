//! `vigil demo fraud|escape`: the fraud-proof and escape stories on throwaway networks,
//! printed as a timeline
//! (`--json`: the timeline as JSON). Exit 0 only if every step happened as expected; a
//! failed step is a one-line error naming it, after the timeline so far.

use super::Output;
use crate::cli::{Cli, DemoCommand};
use crate::demo::{FraudDemoConfig, run_fraud_demo};

pub async fn run(cli: &Cli, command: &DemoCommand) -> anyhow::Result<Output> {
    let args = match command {
        DemoCommand::Fraud(args) => args,
        DemoCommand::Escape => return escape(cli).await,
    };
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

/// `vigil demo escape`: both acts of the escape story, printed as a timeline.
async fn escape(cli: &Cli) -> anyhow::Result<Output> {
    match crate::demo::run_escape_demo(std::time::Duration::from_secs(60)).await {
        Ok(timeline) => Ok(Output {
            text: format!(
                "Vigil escape demo\n\n{}\n\nevery step happened as expected",
                timeline.render_text()
            ),
            json: serde_json::json!({"demo": "escape", "ok": true, "timeline": timeline.to_json()}),
        }),
        Err(failure) => {
            if cli.json {
                super::emit(&serde_json::json!({"demo": "escape", "ok": false, "failed_step": failure.step, "timeline": failure.timeline.to_json()}).to_string());
            } else {
                super::emit(&failure.timeline.render_text());
            }
            Err(failure.into())
        }
    }
}
