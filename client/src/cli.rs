//! The `vigil` command line: global options and every subcommand, as clap derive types.
//! Amounts are parsed here, in human units, so a typo is a usage error (exit 2) before
//! anything is signed or sent.

use crate::units::{UnitsError, parse_usdc};
use clap::{Args, Parser, Subcommand};
use protocol::primitives::Address;
use std::path::PathBuf;

/// The settlement layer's default address (`vigil-contracts-mock --listen` default).
pub const DEFAULT_L1_URL: &str = "http://127.0.0.1:9545";

/// Vigil: a perpetual-futures rollup. Keys, L1 funds, and (soon) trading, in human units.
#[derive(Debug, Parser)]
#[command(name = "vigil", version)]
pub struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Where keys live (default: $VIGIL_HOME, else ~/.vigil).
    #[arg(long, global = true, env = "VIGIL_HOME")]
    pub data_dir: Option<PathBuf>,
    /// The settlement layer's HTTP address.
    #[arg(long, global = true, env = "VIGIL_L1_URL", default_value = DEFAULT_L1_URL)]
    pub l1_url: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage signing keys (stored under <data-dir>/keys).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Talk to the settlement layer: faucet, balances, deposits, withdrawal claims.
    #[command(subcommand)]
    L1(L1Command),
    /// Run the whole network in this process: settlement layer, sequencer, two verifiers
    /// and an oracle feed, with funded dev accounts.
    Devnet(crate::commands::devnet::DevnetArgs),
    /// Run the oracle price feed against a sequencer.
    Oracle(crate::commands::oracle::OracleArgs),
    /// Scripted demonstrations on a throwaway devnet.
    #[command(subcommand)]
    Demo(crate::commands::demo::DemoCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key from fresh randomness.
    New(KeyName),
    /// Store an existing private key (hex).
    Import {
        #[command(flatten)]
        name: KeyName,
        /// The private key, 32 bytes of hex (or set VIGIL_PRIVATE_KEY to keep it out of
        /// the shell history).
        #[arg(long, env = "VIGIL_PRIVATE_KEY", hide_env_values = true)]
        private_key: String,
    },
    /// List stored keys (names and addresses).
    List,
    /// Show one key's address (and its private key with --show-private-key).
    Show {
        #[command(flatten)]
        name: KeyName,
        /// Also print the private key.
        #[arg(long)]
        show_private_key: bool,
    },
}

#[derive(Debug, Args)]
pub struct KeyName {
    /// The key's name.
    #[arg(long, default_value = crate::keystore::DEFAULT_KEY_NAME)]
    pub name: String,
}

/// Whose L1 account: a stored key's, or any address.
#[derive(Debug, Args)]
pub struct AccountArg {
    /// A stored key's name (default: `default`).
    #[arg(long, conflicts_with = "address")]
    pub name: Option<String>,
    /// Any address, instead of a stored key.
    #[arg(long)]
    pub address: Option<Address>,
}

#[derive(Debug, Subcommand)]
pub enum L1Command {
    /// Mint devnet tokens to an account (unsigned devnet endpoint).
    Faucet {
        #[command(flatten)]
        account: AccountArg,
        /// USDC to mint, e.g. 10,000 or 0.5.
        #[arg(long, default_value = "10000", value_parser = usdc)]
        amount: u64,
    },
    /// Show an account's L1 balance, bond and next L1 nonce.
    Balance {
        #[command(flatten)]
        account: AccountArg,
    },
    /// Move USDC from your L1 balance into the rollup (credited on L2 once sequenced).
    Deposit {
        /// The key that pays and signs (default: `default`).
        #[arg(long, default_value = crate::keystore::DEFAULT_KEY_NAME)]
        name: String,
        /// USDC to deposit, e.g. 1,000.25.
        #[arg(long, value_parser = usdc)]
        amount: u64,
        /// The L2 account to credit (default: the signer's own).
        #[arg(long)]
        to: Option<Address>,
    },
    /// Claim a finalized withdrawal on L1 with its Merkle proof.
    Claim(ClaimArgs),
    /// Show the settlement layer's status: head block, tip, finalized batch, queue, supply.
    Status,
}

#[derive(Debug, Args)]
pub struct ClaimArgs {
    /// The key that signs the claim (anyone may claim; the money goes to the leaf's account).
    #[arg(long, default_value = crate::keystore::DEFAULT_KEY_NAME)]
    pub name: String,
    /// A JSON file with the whole claim (`{"batch_index", "withdrawal_id", "account",
    /// "amount", "proof"}`, as the sequencer serves it); `-` reads standard input.
    #[arg(long, conflicts_with_all = ["batch", "withdrawal_id", "account", "amount", "proof"])]
    pub claim_file: Option<PathBuf>,
    /// The finalized batch whose post-state root holds the withdrawal.
    #[arg(long, required_unless_present = "claim_file")]
    pub batch: Option<u64>,
    /// The withdrawal's id.
    #[arg(long, required_unless_present = "claim_file")]
    pub withdrawal_id: Option<u64>,
    /// The account paid (default: the signer's own).
    #[arg(long)]
    pub account: Option<Address>,
    /// USDC amount of the withdrawal, e.g. 250.5.
    #[arg(long, value_parser = usdc, required_unless_present = "claim_file")]
    pub amount: Option<u64>,
    /// The inclusion proof: `0x` hex of its encoding, or `@path` to a file holding it.
    #[arg(long, required_unless_present = "claim_file")]
    pub proof: Option<String>,
}

fn usdc(text: &str) -> Result<u64, UnitsError> {
    parse_usdc(text)
}
