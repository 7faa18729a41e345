//! The sequencer's history endpoints as serde types: an account's fills, a market's trades
//! and its candles, all read from tables the journal writer keeps in the same group commit
//! as the transactions they come from (so they survive `kill -9`, and a fraud revert
//! replaces a reverted batch's entries with the re-sequenced ones). Paging is newest first:
//! `?before_seq=&limit=`, and a page's `next_before_seq` is the cursor for the next one
//! (`null` on the last page). Amounts are the protocol's integers (sizes in base units,
//! prices and fees in micro-USDC), as in receipts.

use crate::primitives::{Address, H256};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One fill from one account's side.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFill {
    /// The transaction's sequence number (fills of one transaction share it).
    pub seq: u64,
    pub tx_hash: H256,
    pub batch_index: u64,
    /// The batch's timestamp: when the fill happened.
    pub timestamp_ms: u64,
    pub market: u32,
    /// `"buy"` or `"sell"`, this account's side.
    pub side: Side,
    /// `"maker"` or `"taker"`.
    pub role: Role,
    pub price: u64,
    pub size: u64,
    /// What this account paid (negative: a rebate).
    pub fee: i128,
    /// The other side's account.
    pub counterparty: Address,
    /// This account's order nonce (its order id).
    pub order_nonce: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buy,
    Sell,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Maker,
    Taker,
}

/// `GET /v1/accounts/{address}/fills`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillsResponse {
    pub fills: Vec<AccountFill>,
    pub next_before_seq: Option<u64>,
}

/// One trade on a market's tape.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    pub seq: u64,
    pub batch_index: u64,
    pub timestamp_ms: u64,
    pub price: u64,
    pub size: u64,
    /// The taker's side (the aggressor).
    pub taker_side: Side,
}

/// `GET /v1/markets/{id}/trades`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradesResponse {
    pub market: u32,
    pub trades: Vec<Trade>,
    pub next_before_seq: Option<u64>,
}

/// A candle's width.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Interval {
    #[serde(rename = "1m")]
    OneMinute,
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "1d")]
    OneDay,
}

impl Interval {
    pub const ALL: [Interval; 4] = [
        Interval::OneMinute,
        Interval::FiveMinutes,
        Interval::OneHour,
        Interval::OneDay,
    ];

    pub fn millis(self) -> u64 {
        match self {
            Interval::OneMinute => 60_000,
            Interval::FiveMinutes => 300_000,
            Interval::OneHour => 3_600_000,
            Interval::OneDay => 86_400_000,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Interval::OneMinute => "1m",
            Interval::FiveMinutes => "5m",
            Interval::OneHour => "1h",
            Interval::OneDay => "1d",
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Interval::ALL
            .into_iter()
            .find(|i| i.name() == s)
            .ok_or_else(|| format!("unknown interval {s:?}: expected one of 1m, 5m, 1h, 1d"))
    }
}

/// Trades of one interval: open, high, low and close prices, volume in base units.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// The interval's start (a multiple of its width since the Unix epoch).
    pub open_ms: u64,
    pub open: u64,
    pub high: u64,
    pub low: u64,
    pub close: u64,
    pub volume: u64,
    pub trades: u64,
}

/// `GET /v1/markets/{id}/candles?interval=1m&from_ms=&to_ms=&limit=`: intervals with at
/// least one trade, oldest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandlesResponse {
    pub market: u32,
    pub interval: Interval,
    pub candles: Vec<Candle>,
}
