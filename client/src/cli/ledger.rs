//! The arguments of `vigil history orders|funding|transfers` (an account's ledger) and
//! `vigil funding MARKET` (a market's funding-rate history).

use clap::{Args, Subcommand};

/// `vigil history …`: what happened to an account, newest first.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Every order with what became of it: resting, partially filled, filled, cancelled
    /// (and why) or rejected.
    Orders(LedgerArgs),
    /// Funding settled into the account's positions (received +, paid −).
    Funding(LedgerArgs),
    /// Deposits and withdrawals, with how far each one's batch is on L1.
    Transfers(LedgerArgs),
}

/// Whose history (`vigil fills`, `vigil history …`), in which market, how many.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(flatten)]
    pub account: super::AccountArg,
    /// Only this market (symbol or id; fills, orders and funding).
    #[arg(long)]
    pub market: Option<String>,
    /// The newest this many entries (a transaction's entries are kept together, so a few
    /// more may show).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub limit: u64,
}

/// `vigil funding MARKET`.
#[derive(Debug, Args)]
pub struct FundingArgs {
    /// The market's symbol (BTC-PERP) or id.
    pub market: String,
    /// The newest this many accruals (one per oracle price).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub limit: u64,
}
