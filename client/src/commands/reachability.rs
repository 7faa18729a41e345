//! What to do when a service cannot be reached: the connection error alone ("connection
//! refused") does not say that no devnet is running, nor that the address came from a
//! `devnet.json` left behind by a devnet that has stopped. This adds both, with the command
//! that starts the network, to any command's error that ends in an unreachable service.

use super::network::{devnet_dir, manifest};
use super::{Explained, data_dir};
use crate::cli::Cli;
use crate::devnet::manifest::DevnetManifest;
use service_client::http::ServiceError;

/// `error` with the hint appended when it ends in an unreachable service; unchanged
/// otherwise.
pub fn explain(cli: &Cli, error: anyhow::Error) -> anyhow::Error {
    let Some(url) = error.chain().find_map(|cause| match cause.downcast_ref() {
        Some(ServiceError::Unreachable { url, .. }) => Some(url.clone()),
        _ => None,
    }) else {
        return error;
    };
    let message = format!("{error:#}; {}", hint(cli, &url));
    Explained {
        message,
        code: "unreachable".into(),
    }
    .into()
}

/// Where `url` came from (a flag or variable, a stale `devnet.json`, or the default
/// address for want of one) and what to run.
fn hint(cli: &Cli, url: &str) -> String {
    let start = start_command(cli);
    if [&cli.l1_url, &cli.sequencer_url]
        .iter()
        .any(|given| given.as_deref() == Some(url))
    {
        return format!(
            "that address was given by --l1-url/--sequencer-url (or VIGIL_L1_URL/VIGIL_SEQUENCER_URL): check it, or drop it and start a local network with `{start}`"
        );
    }
    let path = devnet_dir(cli)
        .map(|dir| DevnetManifest::path_in(&dir).display().to_string())
        .unwrap_or_else(|_| "devnet.json".into());
    match manifest(cli) {
        Ok(Some(m)) if m.l1_url == url || m.sequencer_url == url => format!(
            "the address came from {path}, left by a devnet that is no longer running: start it again with `{start}` (it resumes the same chain and rewrites the file)"
        ),
        _ => format!(
            "no devnet is running ({path} does not exist, so the default address was tried): start one with `{start}` in another terminal, or give --l1-url/--sequencer-url"
        ),
    }
}

/// `vigil devnet`, with the data dir when it was not the default one (so the devnet
/// writes the `devnet.json` this command reads).
fn start_command(cli: &Cli) -> String {
    match (&cli.data_dir, data_dir(cli)) {
        (Some(_), Ok(dir)) => format!("vigil devnet --data-dir {}", dir.display()),
        _ => "vigil devnet".to_string(),
    }
}
