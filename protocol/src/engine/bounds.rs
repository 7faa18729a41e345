//! How many state paths one transaction can touch, at most: the bound on a fraud-proof
//! witness (DESIGN §3). A "path" is one key read, written or deleted, or one
//! `first_with_prefix` probe (which proves either the key it returns or an absence).
//!
//! With M markets, F = `max_fills_per_order` and O = `MAX_OPEN_ORDERS` (derivations in
//! docs/PROTOCOL.md Part 4 §10):
//! - Order:      8 + F·(M + 3) + 2·(M − 1)
//! - Cancel:     5
//! - CancelAll:  3 + 2·O + M
//! - Withdraw:   4 + 2·M
//! - Liquidate:  6 + 3·M + 2·O
//! - PriceUpdate: 3
//! - L1 deposit: 2; an L1 forced action: its action's bound + 1 (the queue counter).

use super::records::MAX_OPEN_ORDERS;
use crate::action::{Action, L1Message, Tx};
use crate::genesis::Genesis;

/// The touched-path bound for one action kind.
fn for_action(genesis: &Genesis, action: &Action) -> usize {
    let m = genesis.markets.len();
    let f = genesis.max_fills_per_order as usize;
    let o = MAX_OPEN_ORDERS as usize;
    match action {
        Action::Order(_) => 8 + f * (m + 3) + 2 * m.saturating_sub(1),
        Action::Cancel(_) => 5,
        Action::CancelAll(_) => 3 + 2 * o + m,
        Action::Withdraw(_) => 4 + 2 * m,
        Action::Liquidate(_) => 6 + 3 * m + 2 * o,
        Action::PriceUpdate(_) => 3,
    }
}

/// The most paths `tx` may touch: its action's bound, plus the meta leaf (the L1 queue
/// counter) for L1 transactions. A deposit touches its account and the meta leaf.
pub fn max_touched_for(genesis: &Genesis, tx: &Tx) -> usize {
    match tx {
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
    let m = genesis.markets.len();
    let f = genesis.max_fills_per_order as usize;
    let o = MAX_OPEN_ORDERS as usize;
    let order = 8 + f * (m + 3) + 2 * m.saturating_sub(1);
    let cancel_all = 3 + 2 * o + m;
    let liquidate = 6 + 3 * m + 2 * o;
    order.max(cancel_all).max(liquidate).max(4 + 2 * m) + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::Address;

    #[test]
    fn devnet_bound() {
        let mut g = Genesis::devnet(1, Address::ZERO, Address::ZERO);
        // 2 markets, 32 fills: an order dominates.
        assert_eq!(max_touched_keys(&g), 8 + 32 * 5 + 2 + 1);
        // 16 markets (the most genesis allows), 32 fills.
        g.markets = (0..16)
            .map(|i| crate::genesis::MarketParams {
                id: i,
                ..g.markets[0].clone()
            })
            .collect();
        assert_eq!(max_touched_keys(&g), 8 + 32 * 19 + 30 + 1);
    }
}
