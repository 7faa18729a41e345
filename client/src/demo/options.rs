//! `vigil demo options`: option series on a throwaway devnet, told as the `vigil` commands
//! a trader would type, each run in-process exactly as the binary runs it and printed with
//! its output. The oracle signers post a BTC index (which lists the day's series, Part 8
//! §9) and an implied volatility; then the chain is listed, dev0 buys an at-the-money call
//! that dev1 offers, dev2 sells dev0 an at-the-money put, the chain shows the open
//! interest, and the positions and margin are shown. Each trade and each position is
//! checked; the first step that does not happen as expected ends the demo with an error
//! naming it.

use crate::cli::Cli;
use crate::commands::{self, Output};
use crate::devnet::{Devnet, DevnetConfig, RunningDevnet, keys};
use crate::sequencer::SequencerClient;
use clap::Parser as _;
use protocol::action::{Action, ImpliedVolUpdate, PriceUpdate};
use protocol::batch::domain_separator;
use protocol::signing::sign_action;
use serde_json::{Value, json};
use std::path::Path;

/// The index the demo signs: 50,000 USDC per BTC.
const INDEX_PRICE: u64 = 50_000_000_000;
/// The implied volatility it signs: 60 % a year.
const VOL_PPM: u64 = 600_000;

/// One step as told: the command (after `vigil`) and what it printed.
#[derive(Debug)]
pub struct Step {
    pub command: String,
    pub output: Output,
}

/// The demo's steps so far and, when one failed, which and why.
#[derive(Debug, Default)]
pub struct Told {
    pub steps: Vec<Step>,
    pub failure: Option<String>,
}

impl Told {
    /// Every step as `$ vigil …` over its output.
    pub fn render_text(&self) -> String {
        self.steps
            .iter()
            .map(|s| format!("$ vigil {}\n{}", s.command, s.output.text))
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// Every step as `{command, output}` (the command's own `--json`, in the one schema:
    /// its sizes and series named by the demo's own chain).
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.steps
                .iter()
                .map(
                    |s| json!({"command": format!("vigil {}", s.command), "output": s.output.json}),
                )
                .collect(),
        )
    }
}

/// Runs the whole story on a devnet under `home` (its `devnet` directory).
pub async fn run_options_demo(home: &Path) -> Told {
    let mut told = Told::default();
    let config = DevnetConfig {
        explorer: false,
        ..DevnetConfig::fast(home.join("devnet"))
    };
    let net = match Devnet::start(config).await {
        Ok(net) => net,
        Err(e) => {
            told.failure = Some(format!("starting the devnet: {e}"));
            return told;
        }
    };
    if let Err(e) = tell(home, &net, &mut told).await {
        told.failure = Some(e);
    }
    if let (Err(e), None) = (net.shutdown().await, &told.failure) {
        told.failure = Some(format!("stopping the devnet: {e}"));
    }
    told
}

/// The story's steps; `Err` names the first that went wrong.
async fn tell(home: &Path, net: &RunningDevnet, told: &mut Told) -> Result<(), String> {
    post_index_and_vol(net).await?;
    let chain = step(home, net, told, "options chain BTC-PERP").await?;
    let (call, put) = at_the_money(&chain.json)?;
    let ask = premium_words(&call);
    let name = |q: &Value| q["name"].as_str().unwrap_or_default().to_string();
    let (call_name, put_name) = (name(&call), name(&put));
    step(
        home,
        net,
        told,
        &format!("order sell {call_name} 0.1 @ {ask} --name dev1"),
    )
    .await?;
    let bought = step(
        home,
        net,
        told,
        &format!("order buy {call_name} 0.1 @ {ask} --name dev0"),
    )
    .await?;
    expect_filled(&bought.json, 1_000, "dev0's call")?;
    let bid = premium_words(&put);
    step(
        home,
        net,
        told,
        &format!("order buy {put_name} 0.1 @ {bid} --name dev0"),
    )
    .await?;
    let sold = step(
        home,
        net,
        told,
        &format!("order sell {put_name} 0.1 @ {bid} --name dev2"),
    )
    .await?;
    expect_filled(&sold.json, 1_000, "dev2's put")?;
    let expiry = crate::commands::options::expiry_date(call["expiry_ms"].as_u64().unwrap_or(0));
    step(
        home,
        net,
        told,
        &format!("options chain BTC-PERP --expiry {expiry}"),
    )
    .await?;
    let long = step(home, net, told, "positions --name dev0").await?;
    expect_positions(&long.json, &[(&call_name, 1_000), (&put_name, 1_000)])?;
    let short = step(home, net, told, "account --name dev2").await?;
    expect_positions(&short.json, &[(&put_name, -1_000)])?;
    let margin = short.json["option_positions"][0]["initial_margin"].as_i64();
    if margin.is_none_or(|m| m <= 0) {
        return Err(format!(
            "dev2's short put carries no margin: {}",
            short.json
        ));
    }
    Ok(())
}

/// The oracle signers post the BTC index (listing the day's series) and the implied vol.
async fn post_index_and_vol(net: &RunningDevnet) -> Result<(), String> {
    let seq = SequencerClient::new(&net.manifest().sequencer_url);
    let domain = domain_separator(net.genesis());
    let now_ms = crate::commands::market::now_ms();
    for (i, oracle) in keys::oracle_keys().iter().enumerate() {
        let price = Action::PriceUpdate(PriceUpdate {
            market: 1,
            price: INDEX_PRICE,
            timestamp_ms: now_ms,
        });
        let vol = Action::ImpliedVolUpdate(ImpliedVolUpdate {
            market: 1,
            vol_ppm: VOL_PPM,
            timestamp_ms: now_ms,
        });
        for action in [price, vol] {
            seq.submit(&sign_action(oracle, action, &domain))
                .await
                .map_err(|e| format!("oracle signer {i}'s update was refused: {e}"))?;
        }
    }
    Ok(())
}

/// Runs `vigil <words>` against the demo's devnet and records it.
async fn step(
    home: &Path,
    net: &RunningDevnet,
    told: &mut Told,
    words: &str,
) -> Result<Output, String> {
    let m = net.manifest();
    let home = home.to_string_lossy().to_string();
    // `--json`: the output's JSON gets the schema from the demo's own markets and series
    // (the text is the same either way).
    let mut args = vec![
        "vigil",
        "--json",
        "--data-dir",
        &home,
        "--sequencer-url",
        &m.sequencer_url,
        "--l1-url",
        &m.l1_url,
    ];
    args.extend(words.split_whitespace());
    let cli = Cli::try_parse_from(&args).map_err(|e| format!("vigil {words}: {e}"))?;
    // Boxed: `commands::run` runs this demo, so the futures nest.
    let output = Box::pin(commands::run(&cli))
        .await
        .map_err(|e| format!("vigil {words}: {e:#}"))?;
    told.steps.push(Step {
        command: words.to_string(),
        output: Output {
            text: output.text.clone(),
            json: output.json.clone(),
        },
    });
    Ok(output)
}

/// The call and the put at the strike nearest the index.
fn at_the_money(chain: &Value) -> Result<(Value, Value), String> {
    let index = chain["index_price"].as_u64().unwrap_or(0);
    let series = chain["series"].as_array().cloned().unwrap_or_default();
    let distance = |s: &Value| s["strike_price"].as_u64().unwrap_or(0).abs_diff(index);
    let nearest = series
        .iter()
        .map(distance)
        .min()
        .ok_or("the chain lists no series")?;
    let pick = |kind: &str| {
        series
            .iter()
            .find(|s| distance(s) == nearest && s["kind"] == kind)
            .cloned()
            .ok_or_else(|| format!("no at-the-money {kind} in the chain"))
    };
    Ok((pick("call")?, pick("put")?))
}

/// The series' mark rounded up to its premium tick, in dollars (`513.4`).
fn premium_words(series: &Value) -> String {
    let tick = series["tick_size"].as_u64().unwrap_or(1).max(1);
    let mark = series["mark_price"].as_u64().unwrap_or(0).max(tick);
    let price = mark.div_ceil(tick) * tick;
    format!("{}.{:06}", price / 1_000_000, price % 1_000_000)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

fn expect_filled(receipt: &Value, lots: u64, what: &str) -> Result<(), String> {
    match receipt["receipt"]["order"]["filled"].as_u64() {
        Some(filled) if filled == lots => Ok(()),
        _ => Err(format!("{what} did not fill {lots} lots: {receipt}")),
    }
}

fn expect_positions(view: &Value, want: &[(&str, i64)]) -> Result<(), String> {
    let held = view["option_positions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (name, size) in want {
        if !held
            .iter()
            .any(|p| p["name"] == *name && p["size"] == *size)
        {
            return Err(format!("no {size}-lot position in {name}: {view}"));
        }
    }
    Ok(())
}
