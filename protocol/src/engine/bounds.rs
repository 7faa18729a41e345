//! How many state paths one transaction can touch, at most: the bound on a fraud-proof
//! witness (DESIGN §3). A "path" is one key read, written or deleted, or one
//! `first_with_prefix` probe (which proves either the key it returns or an absence).
//!
//! The per-kind bounds live in `ActionKind::TABLE`. With M markets, F =
//! `max_fills_per_order` and O = `MAX_OPEN_ORDERS` (derivations in docs/PROTOCOL.md Part 4 §14):
//! - Order:      11 + F·(M + 7) + 2·(M − 1) + M + (F + 1)·P (the taker's margin check and the resting
//!   order's reservation read the same M − 1 other positions and market leaves, and the
//!   taker's leverage leaf of each of the M markets (§22); each
//!   position write may move its ADL index entry: 2 paths; an order leaving the book may
//!   take its expiry entry and client-id leaf: 2 paths; P = `TP_SL_CLOSE_PATHS` per
//!   (account, market) pair of its fills, whose closed position loses its TP/SL pair)
//! - Cancel:     13 (7 for a resting order; 6 more to look for a trigger order instead)
//! - CancelAll:  3 + 4·O + M + 4·T + 2 (T = `MAX_TRIGGER_ORDERS` waiting trigger orders)
//! - Withdraw:   4 + 3·M (the reservation reads each market's leverage leaf too)
//! - Liquidate:  11 + 2·M + 4·O + F·(M + 7) + 3·K + (1 + F + K)·P (K =
//!   `ADL_MAX_COUNTERPARTIES`); on an option series 9 + 2·M + 4·O + F·(M + 7) + 3·K +
//!   (1 + F + K)·P (the same book leg, no fund position or premium sample, Part 8 §15),
//!   always the smaller
//! - PriceUpdate: 6 + 1 + S + C·(8 + Order) (S = `MAX_SERIES_PER_LISTING` = 34 option
//!   series it may list, with the listing leaf; C = `TRIGGER_FIRE_PER_UPDATE` trigger
//!   orders fired)
//! - TriggerOrder: 6; TpSl: 15; ImpliedVolUpdate: 1; SetLeverage: 4 + 3·M
//! - SetMarginMode: 6; IsolatedMargin: max(1 + 3·M, 6) (docs/PROTOCOL.md Part 4 §26)
//! - ApproveAgent / RevokeAgent: 2; the agent kinds: their account kind's bound + 1
//! - ScheduleCancel: 4; AgentScheduleCancel: 5
//! - ClientOrder: Order + 3; CancelByClientId: 9; ModifyOrder: CancelByClientId + ClientOrder
//! - L1 deposit: 2; an L1 forced action: its action's bound + 1 (the queue counter).
//!
//! Every transaction (but an L1 message with the wrong queue index) first runs the
//! dead-man sweep, which adds `D·(CancelAll + 2) + 1` (D = `DEAD_MAN_SWEEP_PER_TX`): per
//! switch fired, its due entry, its schedule leaf and a cancel-all; then one probe. Then
//! the expiry sweep, `E·8 + 1` (E = `ORDER_EXPIRY_SWEEP_PER_TX`): per order removed, its
//! expiry entry, book leaf, order-index leaf, client-id leaf, account, position and ADL
//! entry (2); then one probe. Then the option settlement sweep, `X·P + 3` (X =
//! `OPTION_SETTLE_STEPS_PER_TX`, P = `OPTION_SETTLE_STEP_PATHS`: a step's largest case, the
//! price fixed on a whole listing), the last probe, the meta leaf and the fund's account.
//! With option schedules in genesis, M counts `2 · MAX_MARKETS` (see `sizes`).

use super::dead_man::DEAD_MAN_SWEEP_PER_TX;
use super::expiry::ORDER_EXPIRY_SWEEP_PER_TX;
use super::option_expiry::{OPTION_SETTLE_STEP_PATHS, OPTION_SETTLE_STEPS_PER_TX};
use super::records::{MAX_MARKETS, MAX_OPEN_ORDERS};
use crate::action::{Action, ActionKind, BoundSizes, L1Message, Tx};
use crate::genesis::Genesis;

/// The genesis sizes the per-kind bounds of `ActionKind::TABLE` depend on. With option
/// schedules, an account's positions may be in series as well as markets: at most
/// `MAX_MARKETS` of them, and a series costs a margin check at most twice a market's paths
/// (its position, series, underlying market and implied-volatility leaves against a
/// market's position and market leaves), so M counts `2 · MAX_MARKETS`.
fn sizes(genesis: &Genesis) -> BoundSizes {
    let markets = if genesis.options.is_empty() {
        genesis.markets.len()
    } else {
        2 * MAX_MARKETS
    };
    BoundSizes {
        markets,
        fills: genesis.max_fills_per_order as usize,
        open_orders: MAX_OPEN_ORDERS as usize,
    }
}

/// The touched-path bound for one action.
fn for_action(genesis: &Genesis, action: &Action) -> usize {
    action.kind().max_touched(sizes(genesis))
}

/// Paths one order removed by the expiry sweep touches (its entry, book and index
/// leaves, client-id leaf, account, position, ADL entry).
const EXPIRED_ORDER_PATHS: usize = 8;

/// The paths the three sweeps at the start of a transaction may touch (dead-man,
/// good-till-time, option settlement: its steps, the last probe, the meta leaf and the
/// insurance fund's account).
fn sweep_bound(genesis: &Genesis) -> usize {
    let cancel_all = ActionKind::CancelAll.max_touched(sizes(genesis));
    DEAD_MAN_SWEEP_PER_TX * (cancel_all + 2)
        + 1
        + ORDER_EXPIRY_SWEEP_PER_TX * EXPIRED_ORDER_PATHS
        + 1
        + OPTION_SETTLE_STEPS_PER_TX * OPTION_SETTLE_STEP_PATHS
        + 3
}

/// The most paths `tx` may touch: the sweep, its action's bound, plus the meta leaf (the
/// L1 queue counter) for L1 transactions. A deposit touches its account and the meta leaf.
pub fn max_touched_for(genesis: &Genesis, tx: &Tx) -> usize {
    sweep_bound(genesis)
        + match tx {
            Tx::User { action } => for_action(genesis, &action.action),
            Tx::L1 {
                message: L1Message::Deposit { .. },
                ..
            } => 2,
            Tx::L1 {
                message: L1Message::Forced { action },
                ..
            } => for_action(genesis, &action.action) + 1,
        }
}

/// The largest number of paths any single transaction may touch under `genesis`.
pub fn max_touched_keys(genesis: &Genesis) -> usize {
    // A forced action is its action plus the queue counter; a deposit (2) is smaller.
    let sizes = sizes(genesis);
    let most = ActionKind::TABLE
        .iter()
        .map(|row| (row.max_touched)(sizes))
        .max();
    most.unwrap_or(0) + 1 + sweep_bound(genesis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::Address;

    #[test]
    fn devnet_bound() {
        let mut g = Genesis::devnet(1, Address::ZERO, Address::ZERO);
        // The option settlement sweep: 4 steps × (3 + 34 + 1) paths + 3.
        let settle = 4 * 38 + 3;
        // A CancelAll's trigger orders: 16 × 4 + 2; per (account, market) pair of an
        // order's 32 fills (the taker's and 32 makers'), a closed position's TP/SL: 6 paths.
        let triggers = 16 * 4 + 2;
        let tp_sl = 33 * 6;
        // Options listed: M counts 2 × 16 = 32. 32 fills, 64 orders: a price update
        // listing options (1 + 2 × 34 leaves) and firing 2 trigger orders (each an Order:
        // 11 + 32·39 + 2·31 + 32 leverage leaves + 33 TP/SL removals) dominates a
        // liquidation (11 + 64 + 256 + 32·39 + 12 + 37 TP/SL removals).
        // The sweeps: 2 switches × (CancelAll 3 + 256 + 32 + triggers, + 2) + 1, 4 orders × 8 + 1.
        let sweep = 2 * (3 + 256 + 32 + triggers + 2) + 1 + 4 * 8 + 1 + settle;
        let order = 11 + 32 * 39 + 2 * 31 + 32 + tp_sl;
        assert_eq!(max_touched_keys(&g), 6 + 69 + 2 * (8 + order) + 1 + sweep);
        // Without options: M is the 2 markets.
        g.options.clear();
        let sweep = 2 * (3 + 256 + 2 + triggers + 2) + 1 + 4 * 8 + 1 + settle;
        let order = 11 + 32 * 9 + 2 + 2 + tp_sl;
        assert_eq!(max_touched_keys(&g), 6 + 69 + 2 * (8 + order) + 1 + sweep);
        // 16 markets (the most genesis allows), 32 fills.
        g.markets = (0..16)
            .map(|i| crate::genesis::MarketParams {
                id: i,
                ..g.markets[0].clone()
            })
            .collect();
        let sweep = 2 * (3 + 256 + 16 + triggers + 2) + 1 + 4 * 8 + 1 + settle;
        let order = 11 + 32 * 23 + 2 * 15 + 16 + tp_sl;
        assert_eq!(max_touched_keys(&g), 6 + 69 + 2 * (8 + order) + 1 + sweep);
    }
}
