//! The L2 commands' arguments: trading, account views, watching, withdrawals, forced
//! inclusion and the load generator. Sizes and prices stay text here because their
//! decimals depend on the market, which is only known once `/v1/markets` is read; USDC
//! amounts are parsed at once (6 decimals everywhere).

use super::usdc;
use clap::{ArgGroup, Args, Subcommand, ValueEnum};

/// The key that signs: a keystore key, else a devnet account of that name.
#[derive(Debug, Clone, Args)]
pub struct SignerArg {
    /// The signing key's name: a stored key, else a devnet account (dev0, dev1, …).
    #[arg(long, default_value = crate::keystore::DEFAULT_KEY_NAME)]
    pub name: String,
}

/// `--as ACCOUNT`: trade for another account as its approved agent.
#[derive(Debug, Clone, Args)]
pub struct AgentFor {
    /// Act for ACCOUNT as its approved agent (`vigil agent approve`): the key signs the
    /// action for ACCOUNT (an AgentOrder, AgentCancel, AgentCancelAll or
    /// AgentScheduleCancel, or a kind that names its signer, as ModifyOrder and BulkModify
    /// do).
    #[arg(long = "as", value_name = "ACCOUNT")]
    pub account: Option<protocol::primitives::Address>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Side {
    Buy,
    Sell,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("tif").args(["ioc", "fok", "post_only"])))]
#[command(group(ArgGroup::new("trigger").args(["stop", "take_profit"])))]
pub struct OrderArgs {
    /// buy (opens or adds to a long, reduces a short) or sell (the other way).
    pub side: Side,
    /// The market's symbol (BTC-PERP) or id.
    pub market: String,
    /// Size in whole base units, e.g. 0.5.
    #[arg(allow_negative_numbers = true, value_parser = positive("size"))]
    pub size: String,
    /// `@ PRICE` (or `@PRICE`) in USD per unit, e.g. `@ 50000`. Without a price the order
    /// is a market order: IOC at the worst price allowed by --slippage-bps.
    #[arg(value_name = "@ PRICE", num_args = 0..=2, allow_negative_numbers = true,
        value_parser = positive("price"))]
    pub price: Vec<String>,
    /// Immediate-or-cancel: fill what crosses now, drop the rest.
    #[arg(long)]
    pub ioc: bool,
    /// Fill-or-kill: fill completely now or not at all.
    #[arg(long)]
    pub fok: bool,
    /// Post-only: refused if it would match on arrival (maker only).
    #[arg(long)]
    pub post_only: bool,
    /// Only reduce an existing position (never open or flip one).
    #[arg(long)]
    pub reduce_only: bool,
    /// Market orders: the worst acceptable price, in basis points from the mark price
    /// (default 500 = 5%; at most the market's price band, the widest the chain accepts).
    #[arg(long)]
    pub slippage_bps: Option<u32>,
    /// The signature is valid for this many seconds.
    #[arg(long, default_value_t = 300)]
    pub expires_in_secs: u64,
    /// Tag the order with your own id (a whole number from 1 to 2^128 - 1, unique among
    /// your open orders): `vigil cancel --client-id N`, `vigil modify --client-id N`.
    #[arg(long, value_name = "N", value_parser = client_id, conflicts_with = "trigger")]
    pub client_id: Option<u128>,
    /// Good-till-time: the order rests this long at most (`90s`, `15m`, `12h`, `30d`), then
    /// it is removed and never fills.
    #[arg(long, value_name = "DURATION", value_parser = duration_ms, conflicts_with = "trigger")]
    pub expires_in: Option<u64>,
    /// A stop order: wait off the book until the mark reaches PRICE against the side (a buy
    /// when the mark rises to it, a sell when it falls to it), then execute (with `@ LIMIT`:
    /// as a limit order, else as a market order).
    #[arg(long, value_name = "PRICE", value_parser = positive("stop price"), conflicts_with_all = ["ioc", "fok", "post_only"])]
    pub stop: Option<String>,
    /// A take-profit order: wait until the mark reaches PRICE in the side's favour (a sell
    /// when it rises to it, a buy when it falls to it), then execute as --stop does.
    #[arg(long, value_name = "PRICE", value_parser = positive("take-profit price"), conflicts_with_all = ["ioc", "fok", "post_only"])]
    pub take_profit: Option<String>,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

/// A client order id: a whole number from 1 to 2^128 - 1 (0 means "none" on the chain).
pub(crate) fn client_id(text: &str) -> Result<u128, String> {
    match text.parse::<u128>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(format!(
            "{text:?}: a client id is a whole number from 1 to 2^128 - 1, e.g. 7"
        )),
    }
}

/// `vigil modify ID|--client-id N [--price P] [--size S]`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["order_id", "client_id"])))]
pub struct ModifyArgs {
    /// The order's id (its nonce); it must carry a client id (placed with --client-id).
    pub order_id: Option<u64>,
    /// The order's client id.
    #[arg(long, value_name = "N", value_parser = client_id)]
    pub client_id: Option<u128>,
    /// The new limit price in USD (default: unchanged).
    #[arg(long, value_parser = positive("price"))]
    pub price: Option<String>,
    /// The new unfilled size in whole base units (default: unchanged).
    #[arg(long, value_parser = positive("size"))]
    pub size: Option<String>,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

/// What `vigil modify-bulk --help` adds below its options: the rules a trader acts on.
const MODIFY_BULK_HELP: &str = "\
All or nothing: if any item is refused (an unknown order, a price off the tick or band,
too little margin), no order changes and the error names the item.
Time priority: an order keeps its place when its price is unchanged and its size does
not grow; otherwise it goes to the back of its new price level.
Never takes liquidity: if the orders would cross the book, the whole action is refused;
modify that order alone with `vigil modify` (which may fill) or send `vigil order`.
`vigil orders` lists your order ids and client ids. With --json: the receipt, and
`orders`: [{order_id, market, price, size, priority_kept}] in item order.";

/// `vigil modify-bulk ITEM...`: up to 16 open orders changed in one signed action.
#[derive(Debug, Args)]
#[command(after_help = MODIFY_BULK_HELP)]
pub struct ModifyBulkArgs {
    /// `ORDER[@PRICE][xSIZE]`, 1 to 16 items, one per order: ORDER is an order id (its
    /// last six digits will do) or `c` and a client id (`c7`), PRICE the new limit price
    /// in USD, SIZE the new unfilled size in whole base units; at least one of them.
    /// `12@50100 c7x0.5 13@49900x0.25`.
    #[arg(required = true, num_args = 1.., value_name = "ITEM")]
    pub items: Vec<String>,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

/// `vigil orders [--account A] [--market M]`.
#[derive(Debug, Args)]
pub struct OrdersArgs {
    /// A stored key's or devnet account's name (default: `default`).
    #[arg(long, conflicts_with = "account")]
    pub name: Option<String>,
    /// Any address, instead of a stored key.
    #[arg(long, visible_alias = "address")]
    pub account: Option<protocol::primitives::Address>,
    /// Only orders in this market (symbol or id).
    #[arg(long)]
    pub market: Option<String>,
}

/// A value parser for `what` (a size or a price) that keeps the text, whose decimals
/// depend on the market, but refuses a negative number at once: `-1` is a mistake in the
/// amount, not an unknown option.
fn positive(what: &'static str) -> impl Fn(&str) -> Result<String, String> + Clone {
    move |text: &str| {
        if text.trim_start().starts_with('-') {
            Err(format!("{what} must be positive, got {text}"))
        } else {
            Ok(text.to_string())
        }
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["order_id", "client_id"])))]
pub struct CancelArgs {
    /// The order's id (its nonce, printed when it was placed).
    pub order_id: Option<u64>,
    /// Cancel the open order carrying this client id instead (`vigil order … --client-id N`).
    #[arg(long, value_name = "N", value_parser = client_id, conflicts_with = "market")]
    pub client_id: Option<u128>,
    /// The order's market (default: found among the account's open orders).
    #[arg(long)]
    pub market: Option<String>,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

/// `vigil cancel-all [--as ACCOUNT]`.
#[derive(Debug, Args)]
pub struct CancelAllArgs {
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

/// `vigil agent …`: trade-only keys for an account (PROTOCOL.md Part 4 §18).
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Let AGENT place and cancel orders for your account (never withdraw or approve
    /// agents): `vigil agent approve 0xAGENT --agent-name bot --valid-for 30d`.
    Approve(AgentApproveArgs),
    /// Stop AGENT from acting for your account (at once, in the next batch).
    Revoke(AgentRevokeArgs),
    /// List an account's agents: address, name, valid until, active.
    List(super::AccountArg),
}

#[derive(Debug, Args)]
pub struct AgentApproveArgs {
    /// The agent key's address (the key a bot signs with).
    pub agent: protocol::primitives::Address,
    /// A label for the agent, at most 32 bytes (shown by `vigil agent list`).
    #[arg(long, default_value = "")]
    pub agent_name: String,
    /// How long the approval lasts: a number with s, m, h or d (`90m`, `30d`); default
    /// until revoked.
    #[arg(long, value_parser = duration_ms)]
    pub valid_for: Option<u64>,
    #[command(flatten)]
    pub signer: SignerArg,
}

#[derive(Debug, Args)]
pub struct AgentRevokeArgs {
    /// The agent key's address.
    pub agent: protocol::primitives::Address,
    #[command(flatten)]
    pub signer: SignerArg,
}

/// `vigil dead-man …`: the dead-man's switch (PROTOCOL.md Part 4 §19).
#[derive(Debug, Subcommand)]
pub enum DeadManCommand {
    /// Cancel all your orders at a time unless you push it back first (setting it again
    /// replaces it): `vigil dead-man set --in 30s`; at least 5s ahead.
    Set(DeadManSetArgs),
    /// Clear the switch; your orders stay.
    Clear(DeadManClearArgs),
    /// Show an account's switch.
    Show(super::AccountArg),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("when").required(true).args(["in_ms", "at"])))]
pub struct DeadManSetArgs {
    /// How far ahead: a whole number with s, m, h or d (`30s`, `5m`); at least 5s.
    #[arg(long = "in", value_name = "DURATION", value_parser = duration_ms)]
    pub in_ms: Option<u64>,
    /// When: a UTC time (`2026-12-06T10:00:00Z` or `2026-12-06 10:00:00`) or Unix
    /// milliseconds.
    #[arg(long, value_name = "TIME", value_parser = crate::units::parse_utc_ms)]
    pub at: Option<u64>,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

#[derive(Debug, Args)]
pub struct DeadManClearArgs {
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

/// `vigil tpsl MARKET --take-profit P --stop-loss P` (PROTOCOL.md Part 4 §21).
#[derive(Debug, Args)]
pub struct TpSlArgs {
    /// The market of the position (symbol or id).
    pub market: String,
    /// Close the whole position when the mark reaches this price in your favour (USD).
    #[arg(long)]
    pub take_profit: Option<String>,
    /// Close the whole position when the mark reaches this price against you (USD).
    #[arg(long)]
    pub stop_loss: Option<String>,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

/// `vigil leverage MARKET [LEVERAGE]` (PROTOCOL.md Part 4 §22).
#[derive(Debug, Args)]
pub struct LeverageArgs {
    /// The market (symbol or id).
    pub market: String,
    /// The new leverage, `5` or `5x`: 1 up to the market's maximum (1 / initial margin).
    /// Omitted: show the account's leverage in the market.
    #[arg(value_parser = leverage)]
    pub leverage: Option<u32>,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

/// `vigil margin mode|add|remove` (PROTOCOL.md Part 4 §26).
#[derive(Debug, Subcommand)]
pub enum MarginCommand {
    /// Cross or isolated margin in a market, only while you hold nothing there
    /// (`vigil margin mode --market BTC-PERP isolated`; no mode: show it).
    Mode(MarginModeArgs),
    /// Move USDC from your cross collateral into an isolated position's margin
    /// (`vigil margin add --market BTC-PERP 25`).
    Add(MarginMoveArgs),
    /// Move USDC from an isolated position's margin back to cross collateral, as far as
    /// the position stays at its initial margin (`vigil margin remove --market BTC-PERP 10`).
    Remove(MarginMoveArgs),
}

/// Cross or isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MarginModeArg {
    Cross,
    Isolated,
}

#[derive(Debug, Args)]
pub struct MarginModeArgs {
    /// The market (symbol or id).
    #[arg(long)]
    pub market: String,
    /// `cross` or `isolated`; omitted: show the account's mode and isolated margin.
    pub mode: Option<MarginModeArg>,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

#[derive(Debug, Args)]
pub struct MarginMoveArgs {
    /// The market (symbol or id) of the isolated position.
    #[arg(long)]
    pub market: String,
    /// USDC, up to six decimals (`25`, `12.5`).
    #[arg(value_parser = crate::cli::usdc)]
    pub amount: u64,
    #[command(flatten)]
    pub signer: SignerArg,
    #[command(flatten)]
    pub agent_for: AgentFor,
}

/// `5` or `5x` → 5 (a positive whole number).
fn leverage(text: &str) -> Result<u32, String> {
    let number = text.strip_suffix(['x', 'X']).unwrap_or(text);
    match number.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{text:?} is not a leverage: give a whole number of at least 1, like 5 or 5x"
        )),
    }
}

/// `90s`, `15m`, `12h`, `30d` → milliseconds (a positive whole number and one unit).
fn duration_ms(text: &str) -> Result<u64, String> {
    let split = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(split);
    let unit_ms: u64 = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!(
                "{text:?}: give a whole number and a unit s, m, h or d, e.g. 30d"
            ));
        }
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 => n
            .checked_mul(unit_ms)
            .ok_or_else(|| format!("{text:?} is too long")),
        _ => Err(format!(
            "{text:?}: give a positive whole number and a unit s, m, h or d, e.g. 30d"
        )),
    }
}

#[derive(Debug, Args)]
pub struct BookArgs {
    /// The market's symbol (BTC-PERP) or id.
    pub market: String,
    /// Price levels per side.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub levels: u32,
}

/// `vigil trades MARKET`.
#[derive(Debug, Args)]
pub struct TradesArgs {
    /// The market's symbol (BTC-PERP) or id.
    pub market: String,
    /// The newest this many trades (a transaction's trades are kept together).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub limit: u64,
}

/// `vigil candles MARKET`.
#[derive(Debug, Args)]
pub struct CandlesArgs {
    /// The market's symbol (BTC-PERP) or id.
    pub market: String,
    /// The candle width: 1m, 5m, 1h or 1d.
    #[arg(long, default_value = "1m")]
    pub interval: protocol::api::history::Interval,
    /// How many intervals, up to the one of the latest trade (intervals without trades
    /// have no row).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=5_000))]
    pub limit: u64,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Start from the beginning of the chain instead of from now.
    #[arg(long)]
    pub from_start: bool,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long)]
    pub for_secs: Option<u64>,
    /// Stop after printing this many lines.
    #[arg(long)]
    pub count: Option<u64>,
    /// Only lines that name this address (a trader, maker, taker, depositor…); its orders
    /// and withdrawals then come from the sequencer's feed as `order` and `withdrawal` lines.
    #[arg(long)]
    pub account: Option<protocol::primitives::Address>,
    /// Only lines about this market (e.g. BTC-PERP): transactions with a fill or order in it.
    #[arg(long)]
    pub market: Option<String>,
    /// Only lines of this kind (`order` and `withdrawal`: with --account, from the feed).
    #[arg(long, value_parser = ["tx", "batch", "l1_event", "order", "withdrawal"])]
    pub kind: Option<String>,
}

#[derive(Debug, Args)]
pub struct WithdrawArgs {
    /// USDC to withdraw, e.g. 250.5.
    #[arg(value_parser = usdc, allow_negative_numbers = true)]
    pub amount: u64,
    /// Keep updating the status until the withdrawal is claimable (or --timeout-secs).
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this many seconds (exit 1).
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
    /// The signature is valid for this many seconds.
    #[arg(long, default_value_t = 300)]
    pub expires_in_secs: u64,
    #[command(flatten)]
    pub signer: SignerArg,
}

#[derive(Debug, Args)]
pub struct WithdrawalArgs {
    /// The withdrawal's id (printed by `vigil withdraw`).
    pub id: u64,
}

#[derive(Debug, Subcommand)]
pub enum ForceCommand {
    /// Force a withdrawal of AMOUNT USDC (with --wait: until it executes, then its
    /// withdrawal id).
    Withdraw {
        /// USDC to withdraw, e.g. 250.5.
        #[arg(value_parser = usdc, allow_negative_numbers = true)]
        amount: u64,
        #[command(flatten)]
        wait: ForceWait,
        #[command(flatten)]
        signer: SignerArg,
    },
    /// Force a cancellation of all your open orders.
    CancelAll {
        #[command(flatten)]
        signer: SignerArg,
    },
    /// Force-close your whole position in MARKET (a reduce-only IOC market order; with
    /// --wait: until it executes, then what it filled, or why nothing).
    Close {
        /// The market's symbol (BTC-PERP) or id.
        market: String,
        /// The worst acceptable price, in basis points from the mark price (default: nine
        /// tenths of the market's price band, so a mark that moves before the close is
        /// included does not leave its price outside the band).
        #[arg(long)]
        slippage_bps: Option<u32>,
        #[command(flatten)]
        wait: ForceWait,
        #[command(flatten)]
        signer: SignerArg,
    },
    /// Relay an oracle price for MARKET through the L1 queue, so a sequencer that leaves
    /// prices out cannot make forced withdrawals fail as stale. The update is signed with
    /// the oracle key (stamped now); the L1 call with your key (anyone may relay).
    Price {
        /// The market's symbol (BTC-PERP) or id.
        market: String,
        /// The price in USDC, e.g. 50000.5.
        #[arg(value_parser = super::price)]
        price: u64,
        /// The oracle's private key (hex); default: the devnet oracle key
        /// keccak256("vigil devnet oracle").
        #[arg(long, env = "VIGIL_ORACLE_KEY", hide_env_values = true)]
        oracle_key: Option<String>,
        #[command(flatten)]
        signer: SignerArg,
    },
}

/// Whether a forced action's command waits for the sequencer to execute it.
#[derive(Debug, Clone, Copy, Args)]
pub struct ForceWait {
    /// Wait until the sequencer executes the action and show its outcome (or
    /// --timeout-secs).
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this many seconds (exit 1).
    #[arg(long, default_value_t = 120)]
    pub timeout_secs: u64,
}

/// `vigil tx HASH`.
#[derive(Debug, Args)]
pub struct TxArgs {
    /// The transaction hash (`0x` + 64 hex digits), as `vigil order` and `vigil force`
    /// print it.
    pub hash: protocol::primitives::H256,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub load: crate::bench::Load,
}
