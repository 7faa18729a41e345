//! `vigil demo fraud|escape|options`: the fraud-proof, escape and options stories on
//! throwaway networks, printed as a timeline (`--json`: the timeline as JSON, in the one
//! schema of docs/JSON.md: amounts as raw integers with their `_decimal` strings, the demo
//! network's own markets and series naming sizes; applied here, also to what
//! `--keep-open` and a failed step print, and never again by `commands::run`, whose
//! endpoints are not the demo's). Exit 0 only if every step happened as expected; a failed step is a
//! one-line error naming it, after the timeline so far.

use super::{Output, json_units, market};
use crate::cli::FraudArgs;
use crate::cli::{Cli, DemoCommand};
use crate::demo::{FraudDemoConfig, Timeline, run_fraud_demo_holding};
use crate::devnet::RunningDevnet;
use crate::sequencer::SequencerClient;
use protocol::api::sequencer::MarketInfo;
use serde_json::Value;

/// `json` in the one `--json` schema, as text.
fn schema(mut json: Value, markets: &[MarketInfo]) -> String {
    json_units::apply(&mut json, markets);
    json.to_string()
}

/// `json` in the one `--json` schema with no markets named (amounts only).
fn in_schema(mut json: Value) -> Value {
    json_units::apply(&mut json, &[]);
    json
}

/// The demo network's markets, while it is up (the JSON names sizes with them).
async fn markets_of(net: &RunningDevnet) -> Vec<MarketInfo> {
    market::markets(&SequencerClient::new(&net.manifest().sequencer_url))
        .await
        .unwrap_or_default()
}

pub async fn run(cli: &Cli, command: &DemoCommand) -> anyhow::Result<Output> {
    let args = match command {
        DemoCommand::Fraud(args) => args,
        DemoCommand::Escape => return escape(cli).await,
        DemoCommand::Options => return options(cli).await,
    };
    let config = FraudDemoConfig::new(args.fault);
    let told = run_fraud_demo_holding(&config, async |timeline: &Timeline, net: &RunningDevnet| {
        let markets = markets_of(net).await;
        if args.keep_open {
            keep_open(cli, args, timeline, net, &markets).await;
        }
        markets
    })
    .await;
    match told {
        Ok((timeline, markets)) => {
            let mut json = serde_json::json!({"fault": args.fault, "ok": true, "timeline": timeline.to_json()});
            json_units::apply(&mut json, &markets);
            Ok(Output {
                text: format!(
                    "Vigil fraud-proof demo (fault: {})\n\n{}\n\nevery step happened as expected",
                    args.fault,
                    timeline.render_text()
                ),
                json,
            })
        }
        Err(failure) => {
            if cli.json {
                // The network is gone: amounts get their decimals, sizes only raw lots.
                super::emit(&schema(
                    serde_json::json!({"fault": args.fault, "ok": false, "failed_step": failure.step, "timeline": failure.timeline.to_json()}),
                    &[],
                ));
            } else {
                super::emit(&failure.timeline.render_text());
            }
            Err(failure.into())
        }
    }
}

/// `--keep-open`: prints the story and where to watch it, then waits for Ctrl-C with the
/// network up.
async fn keep_open(
    cli: &Cli,
    args: &FraudArgs,
    timeline: &Timeline,
    net: &RunningDevnet,
    markets: &[MarketInfo],
) {
    // Listening before the first line: a reader may signal as soon as it sees it.
    let stop = service_shell::shutdown_signal();
    let m = net.manifest();
    if cli.json {
        super::emit(&schema(
            serde_json::json!({"fault": args.fault, "ok": true, "timeline": timeline.to_json(), "kept_open": m}),
            markets,
        ));
    } else {
        super::emit(&format!(
            "Vigil fraud-proof demo (fault: {})\n\n{}\n\nevery step happened as expected; the network stays up:\n  explorer               {}\n  settlement layer (L1)  {}\n  sequencer              {}\n  verifiers              {}\nCtrl-C stops it.",
            args.fault,
            timeline.render_text(),
            m.explorer_url.as_deref().unwrap_or("(not running)"),
            m.l1_url,
            m.sequencer_url,
            m.verifier_urls.join(", "),
        ));
    }
    stop.await;
}

/// `vigil demo escape`: both acts of the escape story, printed as a timeline.
async fn escape(cli: &Cli) -> anyhow::Result<Output> {
    match crate::demo::run_escape_demo(std::time::Duration::from_secs(60)).await {
        Ok(timeline) => Ok(Output {
            text: format!(
                "Vigil escape demo\n\n{}\n\nevery step happened as expected",
                timeline.render_text()
            ),
            // No sizes in its story: amounts only, which need no markets.
            json: in_schema(
                serde_json::json!({"demo": "escape", "ok": true, "timeline": timeline.to_json()}),
            ),
        }),
        Err(failure) => {
            if cli.json {
                super::emit(&schema(
                    serde_json::json!({"demo": "escape", "ok": false, "failed_step": failure.step, "timeline": failure.timeline.to_json()}),
                    &[],
                ));
            } else {
                super::emit(&failure.timeline.render_text());
            }
            Err(failure.into())
        }
    }
}

/// `vigil demo options`: the options story (`demo::options`) as the commands it ran and
/// their output; `--json`: each command with its own `--json` output.
async fn options(cli: &Cli) -> anyhow::Result<Output> {
    let home = tempfile::tempdir()?;
    let told = crate::demo::options::run_options_demo(home.path()).await;
    let text = format!(
        "Vigil options demo: the BTC-PERP chain, a call bought, a put sold, positions and margin\n\n{}",
        told.render_text()
    );
    match told.failure.clone() {
        None => Ok(Output {
            text: format!("{text}\n\nevery step happened as expected"),
            // Each step's output is in the schema already, sized by the demo's own chain.
            json: in_schema(
                serde_json::json!({"demo": "options", "ok": true, "steps": told.to_json()}),
            ),
        }),
        Some(failure) => {
            if cli.json {
                super::emit(&schema(
                    serde_json::json!({"demo": "options", "ok": false, "failed_step": failure, "steps": told.to_json()}),
                    &[],
                ));
            } else {
                super::emit(&text);
            }
            Err(anyhow::anyhow!("the options demo failed: {failure}"))
        }
    }
}
