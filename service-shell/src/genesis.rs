//! The genesis a service binary starts with: the `--genesis` JSON file when one is named,
//! else the devnet genesis from `--chain-id`, `--rollup-address` and `--oracle` (each
//! defaulting to the devnet's). The settlement layer, the sequencer and the verifier must
//! agree on it, so the three mains build it with this one function.

use anyhow::Context;
use protocol::genesis::{DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, Genesis, devnet_oracle_key};
use protocol::primitives::Address;
use protocol::signing::address_of;
use std::path::{Path, PathBuf};

/// The genesis flags every service binary takes (flattened into its `Cli`; the
/// environment names are shared, so one env file configures all three).
#[derive(Debug, Clone, clap::Args)]
pub struct GenesisArgs {
    /// Genesis JSON file (`protocol::genesis::Genesis`); the settlement layer, the
    /// sequencer and every verifier must run the same one. Without it: the devnet genesis
    /// built from --chain-id, --rollup-address and --oracle.
    #[arg(long, env = "VIGIL_GENESIS", conflicts_with_all = ["chain_id", "rollup_address", "oracle"])]
    pub genesis: Option<PathBuf>,
    /// The devnet genesis' chain id; default: the devnet's (31337).
    #[arg(long, env = "VIGIL_CHAIN_ID")]
    pub chain_id: Option<u64>,
    /// The rollup contract's address (EIP-712 verifyingContract); default: the devnet's.
    #[arg(long, env = "VIGIL_ROLLUP_ADDRESS")]
    pub rollup_address: Option<Address>,
    /// The oracle's address; default: the devnet oracle key keccak256("vigil devnet oracle").
    #[arg(long, env = "VIGIL_ORACLE")]
    pub oracle: Option<Address>,
}

impl GenesisArgs {
    /// Reads and parses the `--genesis` file when one is named, or else builds the devnet
    /// genesis from the other flags (each defaulting to the devnet's).
    pub fn load(&self) -> anyhow::Result<Genesis> {
        match &self.genesis {
            Some(path) => load(path),
            None => Ok(Genesis::devnet(
                self.chain_id.unwrap_or(DEVNET_CHAIN_ID),
                self.rollup_address.unwrap_or(DEVNET_VERIFYING_CONTRACT),
                self.oracle
                    .unwrap_or_else(|| address_of(&devnet_oracle_key())),
            )),
        }
    }
}

/// Reads and parses a genesis JSON file; errors name the file.
fn load(path: &Path) -> anyhow::Result<Genesis> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading genesis file {}", path.display()))?;
    serde_json::from_str::<Genesis>(&text)
        .with_context(|| format!("parsing genesis file {}", path.display()))
}
