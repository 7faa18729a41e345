//! The genesis a service binary starts with: the `--genesis` JSON file when one is named,
//! else the devnet genesis from `--chain-id`, `--rollup-address` and `--oracle` (each
//! defaulting to the devnet's). The settlement layer, the sequencer and the verifier must
//! agree on it, so the three mains build it with this one function.

use anyhow::Context;
use protocol::genesis::{DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, Genesis, devnet_oracle_key};
use protocol::primitives::Address;
use protocol::signing::address_of;
use std::path::Path;

/// The devnet genesis' parameters as given on the command line (`None`: the devnet's own).
#[derive(Debug, Clone, Copy, Default)]
pub struct DevnetChoice {
    pub chain_id: Option<u64>,
    pub rollup_address: Option<Address>,
    pub oracle: Option<Address>,
}

/// Reads and parses the genesis file at `path`, or, without one, builds the devnet
/// genesis from `devnet` (the oracle defaults to the devnet oracle key's address).
pub fn load_or_devnet(path: Option<&Path>, devnet: DevnetChoice) -> anyhow::Result<Genesis> {
    match path {
        Some(path) => load(path),
        None => Ok(Genesis::devnet(
            devnet.chain_id.unwrap_or(DEVNET_CHAIN_ID),
            devnet.rollup_address.unwrap_or(DEVNET_VERIFYING_CONTRACT),
            devnet
                .oracle
                .unwrap_or_else(|| address_of(&devnet_oracle_key())),
        )),
    }
}

/// Reads and parses a genesis JSON file; errors name the file.
fn load(path: &Path) -> anyhow::Result<Genesis> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading genesis file {}", path.display()))?;
    serde_json::from_str::<Genesis>(&text)
        .with_context(|| format!("parsing genesis file {}", path.display()))
}
