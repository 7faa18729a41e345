//! Fault injection: the ways a cheating or buggy sequencer corrupts its state, so that the
//! fraud-proof path can be demonstrated (`--inject-fault`) and tested end to end.
//!
//! Each fault runs after a chunk has executed honestly and corrupts the state the way the
//! named bug would have (the sequencer then keeps building on it), except `WrongRoot`,
//! which leaves the state alone and only misreports the checkpoint. None of this is
//! reachable from the STF itself.

use crate::action::{Liquidate, Tx};
use crate::engine::records::Position;
use crate::engine::storage::{load_account, load_position, store_account, store_position};
use crate::engine::view::is_liquidatable;
use crate::engine::{self, BlockContext, Receipt};
use crate::genesis::Genesis;
use crate::primitives::{Address, H256, keccak256_concat};
use crate::state::{State, StateError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What the faulty sequencer does wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Posts a checkpoint root that no execution produced.
    WrongRoot,
    /// Credits collateral from nothing (1,000,000 USDC) and keeps building on it.
    Mint,
    /// Books a fill one tick worse for the taker than the maker's price.
    BadFill,
    /// Liquidates an account whose equity is above its maintenance margin.
    SkipLiquidationCheck,
}

/// Collateral a `Mint` fault creates: 1,000,000 USDC in micro-units.
pub const MINTED_MICRO_USDC: i128 = 1_000_000_000_000;

impl Fault {
    pub const ALL: [Fault; 4] = [
        Fault::WrongRoot,
        Fault::Mint,
        Fault::BadFill,
        Fault::SkipLiquidationCheck,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::WrongRoot => "wrong-root",
            Fault::Mint => "mint",
            Fault::BadFill => "bad-fill",
            Fault::SkipLiquidationCheck => "skip-liquidation-check",
        }
    }

    /// Whether the fault changes the state (the sequencer keeps building on it) or only
    /// the reported root.
    pub fn corrupts_state(self) -> bool {
        self != Fault::WrongRoot
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown fault {s:?}; expected one of wrong-root, mint, bad-fill, skip-liquidation-check"))
    }
}

/// The root a `WrongRoot` sequencer reports instead of `root`.
pub fn wrong_root(root: &H256) -> H256 {
    keccak256_concat(&[b"vigil-fault-wrong-root", &root.0])
}

/// Corrupts `state` after a chunk (`txs` with their honest `receipts`) executed. Returns
/// what was done, or `None` when this chunk offers nothing to corrupt (no signer, no fill,
/// no healthy position); the caller then tries again on a later chunk.
pub fn corrupt<S: State>(
    state: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    fault: Fault,
    txs: &[Tx],
    receipts: &[Receipt],
) -> Result<Option<String>, StateError> {
    match fault {
        Fault::WrongRoot => Ok(Some("reported a wrong checkpoint root".into())),
        Fault::Mint => {
            let Some(account) = txs.iter().find_map(user_signer) else {
                return Ok(None);
            };
            let mut acct = load_account(state, &account)?;
            acct.collateral = acct.collateral.saturating_add(MINTED_MICRO_USDC);
            store_account(state, &acct)?;
            Ok(Some(format!(
                "minted {MINTED_MICRO_USDC} micro-USDC to {account}"
            )))
        }
        Fault::BadFill => {
            // A fill that closed the taker's position leaves nothing to misbook (an empty
            // position is deleted, cost and all), so take the first whose taker still holds one.
            let mut found = None;
            for fill in receipts.iter().flat_map(|r| r.fills.iter()) {
                let pos = load_position(state, &fill.taker, fill.market)?;
                if pos.size != 0 {
                    found = Some((fill, pos));
                    break;
                }
            }
            let Some((fill, pos)) = found else {
                return Ok(None);
            };
            let Some(params) = genesis.market(fill.market) else {
                return Ok(None);
            };
            let mut acct = load_account(state, &fill.taker)?;
            // One tick worse for the taker: a buyer paid more, a seller received less. Cost is
            // the signed sum of price × size, so both mean cost + tick × size.
            let delta = i128::from(params.tick_size) * i128::from(fill.size);
            let corrupted = Position {
                cost: pos.cost.saturating_add(delta),
                ..pos
            };
            store_position(state, &mut acct, fill.market, &corrupted)?;
            store_account(state, &acct)?;
            Ok(Some(format!(
                "booked {}'s fill of {} at one tick off {}",
                fill.taker, fill.size, fill.price
            )))
        }
        Fault::SkipLiquidationCheck => {
            let candidates = receipts
                .iter()
                .flat_map(|r| r.fills.iter())
                .flat_map(|f| [(f.taker, f.market), (f.maker, f.market)]);
            for (account, market) in candidates {
                if load_position(state, &account, market)?.size == 0
                    || account == engine::INSURANCE_FUND
                {
                    continue;
                }
                if is_liquidatable(state, genesis, ctx, &account).unwrap_or(true) {
                    continue;
                }
                let l = Liquidate {
                    liquidator: account,
                    account,
                    market,
                    nonce: 0,
                    expires_at: ctx.timestamp_ms,
                };
                let receipt = engine::liquidate_without_health_check(state, genesis, ctx, &l)?;
                if receipt.status.is_ok() {
                    return Ok(Some(format!(
                        "liquidated healthy account {account} in market {market}"
                    )));
                }
            }
            Ok(None)
        }
    }
}

fn user_signer(tx: &Tx) -> Option<Address> {
    match tx {
        Tx::User { action } => action.action.claimed_signer(),
        Tx::L1 { .. } => None,
    }
}
