//! `vigil explorer`: the web explorer on its own, against any sequencer, settlement layer
//! and verifiers (`--l1-url`, `--sequencer-url`, `--verifier-url …`; by default the
//! running devnet's, from `devnet.json`). Prints its URL, serves until Ctrl-C or SIGTERM.
//! `vigil devnet` starts the same explorer with the other services.

use super::network::{Endpoints, manifest};
use super::{Output, UsageError};
use crate::cli::Cli;
use std::net::SocketAddr;

/// The explorer's default address (the devnet's standard explorer port).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9570";

#[derive(Debug, clap::Args)]
pub struct ExplorerArgs {
    /// A verifier to show (repeatable; default: devnet.json's verifiers, else none).
    #[arg(long = "verifier-url")]
    pub verifier_urls: Vec<String>,
    /// Where to serve the pages.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
}

pub async fn run(cli: &Cli, args: &ExplorerArgs) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let verifier_urls = if args.verifier_urls.is_empty() {
        manifest(cli)?.map(|m| m.verifier_urls).unwrap_or_default()
    } else {
        args.verifier_urls.clone()
    };
    let config = explorer::Config::new(&endpoints.l1_url, &endpoints.sequencer_url, &verifier_urls);
    if let Some(why) = config.invalid() {
        return Err(UsageError(why).into());
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            UsageError(format!(
                "cannot listen on {}: {e} (pick another address with --listen 127.0.0.1:PORT)",
                args.listen
            ))
        })?;
    let stop = service_shell::shutdown_signal();
    let running = explorer::start(config, listener).await?;
    let url = running.url();
    if cli.json {
        super::emit(&serde_json::json!({"explorer_url": url}).to_string());
    } else {
        super::emit(&format!(
            "Vigil explorer at {url}\n  settlement layer {}\n  sequencer        {}\n  verifiers        {}\nCtrl-C stops it.",
            endpoints.l1_url,
            endpoints.sequencer_url,
            if verifier_urls.is_empty() {
                "none".to_string()
            } else {
                verifier_urls.join(", ")
            }
        ));
    }
    running.serve_until(stop).await?;
    Ok(Output {
        text: "explorer stopped".into(),
        json: serde_json::json!({"stopped": true}),
    })
}
