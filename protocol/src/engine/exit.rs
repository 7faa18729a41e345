//! Exit mode's valuation: what a frozen rollup owes one account at its last finalized root
//! (docs/spec/settlement.md §12, docs/PROTOCOL.md Part 4 §13).
//!
//! The claim is the account's equity exactly as the STF's margin code computes it:
//! `collateral + Σ (upnl + unsettled funding)` over its positions, valued at each market's
//! mark price in that root. Open orders are void (they reserve nothing: margin is a check,
//! not a hold). The settlement layer evaluates this over a pruned witness of the root, so
//! the same function prices a claim on L1 and in the nodes that serve the witness; a
//! witness that leaves out a leaf the valuation reads fails with `WitnessIncomplete`.
//!
//! An isolated position (Part 4 §26) adds its margin and its PnL, but never less than
//! minus its margin: its loss beyond its own margin is not the rest of the account's.
//!
//! The valuation also reads the `meta` leaf: its `total_withdrawals` tells the settlement
//! layer how much of the escrow finalized withdrawals still may claim.

use super::math::{add, sub};
use super::storage::load_meta;
use super::view::{MarginMode, ViewError, account_risk_view, margin_mode_views};
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::state::State;
use crate::tree::Tree;

/// One account's exit valuation at a root (micro-USDC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitValuation {
    pub account: Address,
    pub collateral: i128,
    /// Σ (unrealized PnL + unsettled funding) at the root's mark prices.
    pub pnl: i128,
    /// `collateral + pnl`; a claim pays `max(equity, 0)` (before any pro-rata cut).
    pub equity: i128,
    /// `meta.total_withdrawals` of the root: every withdrawal ever debited on L2.
    pub total_withdrawals: u128,
}

/// Values `account` over `st` (a full tree or a witness of it).
pub fn exit_valuation<S: State>(
    st: &mut S,
    genesis: &Genesis,
    account: &Address,
) -> Result<ExitValuation, ViewError> {
    let meta = load_meta(st)?;
    let risk = account_risk_view(st, genesis, account)?;
    let (mut collateral, mut pnl) = (risk.collateral, risk.pnl);
    for m in margin_mode_views(st, genesis, account)? {
        if m.mode == MarginMode::Isolated {
            collateral = add(collateral, m.isolated_margin)?;
            let own = sub(m.isolated_equity, m.isolated_margin)?.max(-m.isolated_margin);
            pnl = add(pnl, own)?;
        }
    }
    Ok(ExitValuation {
        account: *account,
        collateral,
        pnl,
        equity: add(collateral, pnl)?,
        total_withdrawals: meta.total_withdrawals,
    })
}

/// The valuation of `account` in `tree` and the smallest witness that proves it: `tree`
/// pruned to the nodes the valuation opened (`Tree::to_witness_bytes`).
pub fn prove_exit(
    tree: &Tree,
    genesis: &Genesis,
    account: &Address,
) -> Result<(ExitValuation, Vec<u8>), ViewError> {
    let mut work = tree.clone();
    work.start_recording();
    let valuation = exit_valuation(&mut work, genesis, account)?;
    let recording = work.take_recording();
    Ok((valuation, tree.pruned_to(&recording).to_witness_bytes()))
}
