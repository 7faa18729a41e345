//! The genesis a service binary starts with: the `--genesis` JSON file when one is named,
//! else the devnet genesis from `--chain-id`, `--rollup-address` and `--oracle` (each
//! defaulting to the devnet's; the oracle signers default to the devnet's three). The settlement layer, the sequencer and the verifier must
//! agree on it, so the three mains build it with this one function.

use anyhow::Context;
use protocol::genesis::{DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, Genesis, devnet_oracles};
use protocol::primitives::Address;
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
    /// An oracle signer's address, in slot order; repeat the flag (or separate with commas)
    /// for several. Default: the devnet's three signers, keccak256("vigil devnet oracle"),
    /// keccak256("vigil devnet oracle 1") and keccak256("vigil devnet oracle 2").
    #[arg(long, env = "VIGIL_ORACLE", value_delimiter = ',')]
    pub oracle: Vec<Address>,
}

impl GenesisArgs {
    /// Reads and parses the `--genesis` file when one is named, or else builds the devnet
    /// genesis from the other flags (each defaulting to the devnet's).
    pub fn load(&self) -> anyhow::Result<Genesis> {
        match &self.genesis {
            Some(path) => load(path),
            None => {
                let oracles = match self.oracle.as_slice() {
                    [] => devnet_oracles(),
                    named => named.to_vec(),
                };
                Ok(Genesis::devnet(
                    self.chain_id.unwrap_or(DEVNET_CHAIN_ID),
                    self.rollup_address.unwrap_or(DEVNET_VERIFYING_CONTRACT),
                    oracles[0],
                )
                .with_oracles(oracles))
            }
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
