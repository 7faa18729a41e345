//! The `vigil` command line: global options and every subcommand, as clap derive types.
//! Amounts are parsed here, in human units, so a typo is a usage error (exit 2) before
//! anything is signed or sent.

use crate::units::{UnitsError, parse_usdc};
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use protocol::primitives::Address;
use std::path::PathBuf;

mod ledger;
mod services;
mod trading;
pub use ledger::{FundingArgs, HistoryCommand, LedgerArgs};
pub use services::{DemoCommand, DevnetArgs, FraudArgs, OracleArgs};
pub use trading::{
    AgentApproveArgs, AgentCommand, AgentFor, AgentRevokeArgs, BenchArgs, BookArgs, CancelAllArgs,
    CancelArgs, CandlesArgs, DeadManClearArgs, DeadManCommand, DeadManSetArgs, ForceCommand,
    ForceWait, LeverageArgs, MarginCommand, MarginModeArg, MarginModeArgs, MarginMoveArgs,
    ModifyArgs, ModifyBulkArgs, OrderArgs, OrdersArgs, Side, SignerArg, TpSlArgs, TradesArgs,
    TxArgs, WatchArgs, WithdrawArgs, WithdrawalArgs,
};

/// The settlement layer's default address (`vigil-contracts-mock --listen` default).
pub const DEFAULT_L1_URL: &str = "http://127.0.0.1:9545";

/// The sequencer's default address (`vigil-sequencer --listen` default).
pub const DEFAULT_SEQUENCER_URL: &str = "http://127.0.0.1:9550";

/// How `vigil` finds the network and the signing key; shown at the end of `vigil --help`.
const RESOLUTION_HELP: &str = "\
Where commands connect, in order:
  1. --l1-url / --sequencer-url (or VIGIL_L1_URL / VIGIL_SEQUENCER_URL);
  2. the URLs in <data-dir>/devnet/devnet.json, written by a running `vigil devnet`;
  3. the defaults http://127.0.0.1:9545 (settlement layer), http://127.0.0.1:9550 (sequencer).
Which key signs (--name NAME, default `default`):
  1. the keystore key <data-dir>/keys/NAME.json (`vigil keys new|import`);
  2. else the devnet account NAME (dev0, dev1, ...) from devnet.json.
Amounts are human units: sizes in whole base units (0.5 BTC), prices and USDC in dollars
(50,000 or 1,000.25). Exit codes: 0 ok, 1 the work failed (refused, unreachable),
2 a usage or configuration mistake.";

/// Vigil: a perpetual-futures rollup. Keys, L1 funds, trading, withdrawals, forced
/// inclusion and load generation, in human units (`--json` for scripts).
#[derive(Debug, Parser)]
#[command(name = "vigil", version, after_long_help = RESOLUTION_HELP, after_help = RESOLUTION_HELP)]
pub struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Where keys live (default: $VIGIL_HOME, else ~/.vigil).
    #[arg(long, global = true, env = "VIGIL_HOME")]
    pub data_dir: Option<PathBuf>,
    /// The settlement layer's HTTP address (default: devnet.json's, else
    /// http://127.0.0.1:9545).
    #[arg(long, global = true, env = "VIGIL_L1_URL")]
    pub l1_url: Option<String>,
    /// The sequencer's HTTP address (default: devnet.json's, else http://127.0.0.1:9550).
    #[arg(long, global = true, env = "VIGIL_SEQUENCER_URL")]
    pub sequencer_url: Option<String>,
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
    /// Place an order: `vigil order buy BTC-PERP 0.5 @ 50000` (no price: a market order).
    Order(OrderArgs),
    /// Cancel one of your open orders by its id (the order's nonce) or `--client-id N`;
    /// an id may also name a trigger order.
    Cancel(CancelArgs),
    /// Change an open order's price or size, keeping its id (`vigil modify 12 --price
    /// 50100`, or `--client-id N`); says whether it kept its time priority.
    Modify(ModifyArgs),
    /// Change several open orders at once, all or nothing, in one signed action (`vigil
    /// modify-bulk 12@50100 c7x0.5 13@49900x0.25`: id or c+client id, @ new price, x new
    /// size); it never takes liquidity and says which orders kept their time priority.
    ModifyBulk(ModifyBulkArgs),
    /// Show an account's open orders and waiting trigger orders: id, client id, market,
    /// side, price, size, filled, status, expiry.
    Orders(OrdersArgs),
    /// Cancel all your open orders in every market, trigger orders and TP/SL included
    /// (`--as ACCOUNT`: an account's, as its agent).
    CancelAll(CancelAllArgs),
    /// Agent keys: let a bot's key trade (never withdraw) for your account; `--as
    /// ACCOUNT` on order, cancel and cancel-all signs as that account's agent.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Dead-man's switch: cancel all your orders (trigger orders and TP/SL included) at a
    /// time unless pushed back (`vigil dead-man set --in 30s`, `clear`, `show`).
    #[command(subcommand)]
    DeadMan(DeadManCommand),
    /// Take profit and stop loss on a position, one cancels the other (`vigil tpsl BTC-PERP
    /// --take-profit 55000 --stop-loss 45000`; neither: remove them).
    Tpsl(TpSlArgs),
    /// Show an account's trigger orders and TP/SL legs waiting for the mark.
    Triggers(AccountArg),
    /// Set your leverage in a market, which sets the initial margin new risk there needs
    /// (`vigil leverage BTC-PERP 5`; no number: show it; `--as ACCOUNT`: as its agent).
    Leverage(LeverageArgs),
    /// Cross or isolated margin per market, and an isolated position's own margin
    /// (`vigil margin mode --market BTC-PERP isolated`, `vigil margin add --market BTC-PERP
    /// 25`, `vigil margin remove --market BTC-PERP 10`).
    #[command(subcommand)]
    Margin(MarginCommand),
    /// Show an account: collateral, equity, margins, funding, positions, open orders.
    Account(AccountArg),
    /// Show an account's positions.
    Positions(AccountArg),
    /// Show the markets: mark price, open interest and trading state (`open`, or
    /// `reduce-only` while the circuit breaker is tripped, with why and until when).
    Markets,
    /// Show a market's order book.
    Book(BookArgs),
    /// Option series on a perp's underlying (`vigil options chain BTC-PERP [--expiry
    /// 2026-12-31]`); trade one by its name: `vigil order buy BTC-20261231-50000-C 1 @ 120`.
    #[command(subcommand)]
    Options(OptionsCommand),
    /// Show an account's fills, newest first: time, market, side, maker or taker, size,
    /// price, fee, order id.
    Fills(LedgerArgs),
    /// Show a market's trades, newest first: time, the aggressor's side, size, price.
    Trades(TradesArgs),
    /// Show a market's candles, oldest first: open, high, low, close, volume, trades.
    Candles(CandlesArgs),
    /// An account's history, newest first: orders with their final status, funding
    /// payments, deposits and withdrawals.
    #[command(subcommand)]
    History(HistoryCommand),
    /// Show a market's funding-rate history, newest first: each oracle price's accrual.
    Funding(FundingArgs),
    /// Follow the chain live: transactions and fills, batches, settlement and challenges.
    Watch(WatchArgs),
    /// Withdraw USDC from the rollup to your L1 account, and show its status.
    Withdraw(WithdrawArgs),
    /// Show one withdrawal's status (pending → in batch → challenge window → claimable →
    /// claimed).
    Withdrawal(WithdrawalArgs),
    /// Show a transaction by its hash: whether the sequencer has executed it, where, and
    /// its outcome (fills, withdrawal id, or why it was refused).
    Tx(TxArgs),
    /// Force an action through the settlement layer's L1 queue (censorship resistance).
    #[command(subcommand)]
    Force(ForceCommand),
    /// Exit mode, the escape hatch: the frozen rollup's status, and claiming your equity
    /// at its last finalized root with a proof from any node.
    #[command(subcommand)]
    Exit(ExitCommand),
    /// Check the rollup from the settlement layer's data alone: re-execute the posted chain
    /// and compare what it commits with what the sequencer says.
    #[command(subcommand)]
    Verify(VerifyCommand),
    /// Load-test the sequencer with signed orders from many funded accounts.
    Bench(BenchArgs),
    /// Kill -9 the real service binaries at random points under load, checking every guarantee after each restart.
    Chaos(crate::commands::chaos::ChaosArgs),
    /// Run the whole network in this process: settlement layer, sequencer, two verifiers
    /// and an oracle feed, with funded dev accounts.
    Devnet(DevnetArgs),
    /// Serve the web explorer (markets, batches, fraud proofs, verifiers, accounts, live).
    Explorer(crate::commands::explorer::ExplorerArgs),
    /// Run the oracle price feed against a sequencer.
    Oracle(OracleArgs),
    /// Scripted demonstrations on a throwaway devnet.
    #[command(subcommand)]
    Demo(DemoCommand),
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

/// Whose account: a stored key's (or a devnet account's), or any address.
#[derive(Debug, Args)]
pub struct AccountArg {
    /// A stored key's or devnet account's name (default: `default`).
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
        #[arg(long, default_value = "10000", value_parser = usdc, allow_negative_numbers = true)]
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
        #[arg(long, value_parser = usdc, allow_negative_numbers = true)]
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

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Re-execute a transaction's batch from genesis with the settlement layer's batch
    /// data and say whether its receipt is what the batch committed (and what the
    /// sequencer reports). Exit 0 only if all three agree; prints the receipt's proof.
    Tx {
        /// The transaction hash (`0x` + 64 hex digits), as `vigil order` and
        /// `GET /v1/txs` show it.
        hash: protocol::primitives::H256,
        /// The batch holding it, when the sequencer cannot be asked.
        #[arg(long)]
        batch: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExitCommand {
    /// Show exit mode's phase: live (and when it would freeze), frozen, claiming, paid.
    Status,
    /// Claim an account's equity at the exit root. The proof is fetched from the sequencer
    /// or, failing that, from each verifier of devnet.json or --node, whichever holds the
    /// exit root.
    Claim {
        /// The key that signs the L1 call (anyone may claim; the money goes to --account).
        #[arg(long, default_value = crate::keystore::DEFAULT_KEY_NAME)]
        name: String,
        /// The account to claim for (default: the signer's own).
        #[arg(long)]
        account: Option<Address>,
        /// A node (sequencer or verifier) to fetch the proof from; repeatable. Tried after
        /// the sequencer and before devnet.json's verifiers.
        #[arg(long = "node")]
        nodes: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct ClaimArgs {
    /// The key that signs the claim (anyone may claim; the money goes to the leaf's account).
    /// With only --withdrawal-id, the claim (batch, account, amount, proof) is fetched from
    /// the sequencer once the withdrawal is claimable.
    #[arg(long, default_value = crate::keystore::DEFAULT_KEY_NAME)]
    pub name: String,
    /// A JSON file with the whole claim (`{"batch_index", "withdrawal_id", "account",
    /// "amount", "proof"}`, as the sequencer serves it); `-` reads standard input.
    #[arg(long, conflicts_with_all = ["batch", "withdrawal_id", "account", "amount", "proof"])]
    pub claim_file: Option<PathBuf>,
    /// The finalized batch whose post-state root holds the withdrawal.
    #[arg(long, requires_all = ["amount", "proof"])]
    pub batch: Option<u64>,
    /// The withdrawal's id.
    #[arg(long, required_unless_present = "claim_file")]
    pub withdrawal_id: Option<u64>,
    /// The account paid (default: the signer's own).
    #[arg(long, requires = "proof")]
    pub account: Option<Address>,
    /// USDC amount of the withdrawal, e.g. 250.5.
    #[arg(long, value_parser = usdc, requires_all = ["batch", "proof"])]
    pub amount: Option<u64>,
    /// The inclusion proof: `0x` hex of its encoding, or `@path` to a file holding it.
    #[arg(long, requires_all = ["batch", "amount"])]
    pub proof: Option<String>,
    /// A node (sequencer or verifier) to fetch the claim from when the sequencer cannot
    /// serve it; repeatable. Tried before devnet.json's verifiers.
    #[arg(long = "node", conflicts_with_all = ["claim_file", "proof"])]
    pub nodes: Vec<String>,
}

/// The global options each command ignores: they stay accepted there (a script or an
/// environment variable may set them for every command) but are left out of its help.
const IGNORED_GLOBALS: &[(&str, &[&str])] = &[
    ("keys", &["l1_url", "sequencer_url"]),
    ("devnet", &["l1_url", "sequencer_url"]),
    ("demo", &["l1_url", "sequencer_url", "data_dir"]),
    ("oracle", &["l1_url"]),
    ("account", &["l1_url"]),
    ("orders", &["l1_url"]),
    ("positions", &["l1_url"]),
    ("book", &["l1_url"]),
    ("fills", &["l1_url"]),
    ("trades", &["l1_url"]),
    ("candles", &["l1_url"]),
    ("tx", &["l1_url"]),
];

/// The clap command `vigil` parses with: the derived one, with each global option hidden
/// under the subcommands that ignore it.
pub fn command() -> clap::Command {
    let mut root = Cli::command();
    for (name, ids) in IGNORED_GLOBALS {
        let hidden: Vec<clap::Arg> = root
            .get_arguments()
            .filter(|a| ids.contains(&a.get_id().as_str()))
            .map(|a| a.clone().hide(true))
            .collect();
        // A subcommand's own argument of the same id keeps the global one out of it (and,
        // being global itself, out of its own subcommands).
        root = root.mut_subcommand(name, |sub| sub.args(hidden));
    }
    root
}

impl Cli {
    /// Parses `args` (the program name first) with [`command`].
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut command = command();
        let matches = command.try_get_matches_from_mut(args)?;
        Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
    }
}

pub(crate) fn usdc(text: &str) -> Result<u64, UnitsError> {
    parse_usdc(text)
}

pub(crate) fn price(text: &str) -> Result<u64, UnitsError> {
    crate::units::parse_price(text)
}

/// `vigil options …`.
#[derive(Debug, Subcommand)]
pub enum OptionsCommand {
    /// Every listed series on an underlying: name, expiry, strike, call/put, bid, ask,
    /// mark, greeks and open interest.
    Chain(ChainArgs),
}

#[derive(Debug, Args)]
pub struct ChainArgs {
    /// The underlying perp market's symbol (BTC-PERP) or id.
    pub underlying: String,
    /// Only series expiring on this UTC date (2026-12-31 or 20261231).
    #[arg(long)]
    pub expiry: Option<String>,
}
