//! The state at genesis: one `MarketState` leaf per market (no price yet) and the `Meta`
//! leaf (all totals zero). The genesis state root therefore commits to the market set.
//!
//! Also names the insurance fund's reserved account.

use super::records::{MarketState, Meta};
use super::storage::{store_market, store_meta};
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::state::{State, StateError};

/// The insurance fund is the account at the zero address (whose private key nobody
/// knows): its collateral is the fund, and it takes over liquidated positions, so long
/// size = short size holds without special cases. It cannot act or be liquidated;
/// deposits to it are donations to the fund. Its collateral may go negative in
/// extremis (a system deficit).
pub const INSURANCE_FUND: Address = Address::ZERO;

/// Writes the genesis state into an empty state. Call `Genesis::validate` first: the
/// engine relies on validated parameters for its bounds (it never panics on bad ones,
/// but overflowing parameters make actions fail as `arithmetic_overflow`).
pub fn init_genesis<S: State>(state: &mut S, genesis: &Genesis) -> Result<(), StateError> {
    for market in &genesis.markets {
        store_market(state, market.id, &MarketState::default())?;
    }
    store_meta(state, &Meta::default())
}
