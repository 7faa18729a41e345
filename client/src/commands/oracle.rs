//! `vigil oracle`: the standalone price feed (the docker compose `oracle` service). It
//! signs `PriceUpdate`s for every market with each oracle signer's key and posts them to
//! the sequencer until stopped (or for `--ticks` rounds). The keys default to the three
//! devnet oracle signers' keys, which the binaries' devnet genesis names.

use super::network::Endpoints;
use super::{Output, UsageError};
use crate::cli::{Cli, OracleArgs};
use crate::keystore::parse_private_key;
use crate::oracle::{FeedConfig, run_feed};
use crate::sequencer::SequencerClient;
use protocol::genesis::devnet_oracle_keys;
use protocol::signing::{address_of, domain_separator};
use std::time::Duration;

/// `vigil oracle --ticks N`: startup attempts (half a second apart) before giving up.
const BOUNDED_CONNECT_ATTEMPTS: u32 = 6;

/// Posts to the sequencer named by the global `--sequencer-url` / `VIGIL_SEQUENCER_URL`
/// (else devnet.json's, else the default), like every other command.
pub async fn run(cli: &Cli, args: &OracleArgs) -> anyhow::Result<Output> {
    let sequencer_url = Endpoints::resolve(cli)?.sequencer_url;
    let keys = if args.key.is_empty() {
        devnet_oracle_keys()
    } else {
        args.key
            .iter()
            .map(|hex| parse_private_key(hex))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| UsageError(format!("--key / VIGIL_ORACLE_KEY: {e}")))?
    };
    if args.interval_ms < 10 {
        return Err(UsageError("--interval-ms must be at least 10".into()).into());
    }
    let config = FeedConfig {
        interval: Duration::from_millis(args.interval_ms),
        seed: args.seed,
        ticks: args.ticks,
        // A bounded run is a script's or a person's: it should fail in seconds, not wait a
        // minute for a sequencer that may never start.
        connect_attempts: if args.ticks.is_some() {
            BOUNDED_CONNECT_ATTEMPTS
        } else {
            crate::oracle::SERVICE_CONNECT_ATTEMPTS
        },
    };
    let stop = service_shell::shutdown_signal();
    let sequencer = SequencerClient::new(&sequencer_url);
    let domain = domain_separator(args.chain_id, &args.rollup_address);
    let signers: Vec<_> = keys.iter().map(address_of).collect();
    tracing::info!(oracles = ?signers, sequencer = %sequencer_url, "oracle feed starting");
    let report = run_feed(&sequencer, &keys, domain, &config, stop).await?;
    if report.ticks > 0 && report.failed == report.ticks {
        return Err(anyhow::anyhow!(
            "none of the {} ticks reached the sequencer at {sequencer_url}; is it running (`vigil devnet`)?",
            report.ticks
        ));
    }
    let prices: Vec<String> = report
        .prices
        .iter()
        .map(|(_, symbol, price)| {
            format!(
                "{symbol} {}",
                crate::units::format_price(u128::from(*price))
            )
        })
        .collect();
    Ok(Output {
        text: format!(
            "oracle stopped after {} ticks: {} updates accepted, {} refused; last prices {}",
            report.ticks,
            report.accepted,
            report.rejected,
            prices.join(", ")
        ),
        json: serde_json::json!({
            "oracles": signers,
            "ticks": report.ticks,
            "accepted": report.accepted,
            "rejected": report.rejected,
            "prices": report.prices.iter().map(|(id, symbol, price)| serde_json::json!({"market": id, "symbol": symbol, "price": price})).collect::<Vec<_>>(),
        }),
    })
}
