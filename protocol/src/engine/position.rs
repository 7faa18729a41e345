//! Position accounting: applying a signed size change at a price, which first settles the
//! position's accrued funding and then realizes PnL on any part that closes.
//!
//! Cost basis is kept undivided (`cost = Σ price × signed size`), so opening never rounds.
//! Closing `q` of `|size|` removes `ceil(cost × q / |size|)` of the cost (exactly `cost` on
//! a full close) and realizes `price × q × sign(size) − removed`, credited to collateral
//! as `floor(raw / 10^dec)`. Rounding up the removed cost makes each partial realization
//! round against the trader; the remaining cost carries the complement, so the raw PnL
//! over a position's whole life is exact. All credits are drawn from the market's
//! `pnl_pool`, which is what keeps money conserved exactly.

use super::funding::funding_credit;
use super::math::{Overflow, add, ceil_div, floor_div, mul, sub};
use super::records::Position;

/// Micro-USDC credited to the trader's collateral (negative: debited), from the pnl pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settlement {
    pub funding: i128,
    pub realized: i128,
}

impl Settlement {
    pub fn total(self) -> Result<i128, Overflow> {
        add(self.funding, self.realized)
    }
}

/// Whether moving from `before` to `after` adds risk: the position grows in absolute
/// size or flips side. Shrinking toward zero (or staying) is risk-reducing.
pub fn increases_risk(before: i128, after: i128) -> bool {
    after.unsigned_abs() > before.unsigned_abs() || (before.signum() * after.signum()) < 0
}

/// Applies a signed size change `delta` (buy > 0) at `price`, settling funding first.
pub fn apply_trade(
    pos: &mut Position,
    delta: i128,
    price: u64,
    funding_index: i128,
    size_scale: i128,
) -> Result<Settlement, Overflow> {
    let funding = funding_credit(pos.size, pos.funding_snapshot, funding_index, size_scale)?;
    pos.funding_snapshot = funding_index;
    let price = i128::from(price);
    let mut realized = 0;
    let mut opening = delta;
    if pos.size != 0 && delta != 0 && pos.size.signum() != delta.signum() {
        let held = pos.size.checked_abs().ok_or(Overflow)?;
        let closed = delta.checked_abs().ok_or(Overflow)?.min(held);
        let removed_cost = if closed == held {
            pos.cost
        } else {
            ceil_div(mul(pos.cost, closed)?, held)?
        };
        let proceeds = mul(mul(price, closed)?, pos.size.signum())?;
        realized = floor_div(sub(proceeds, removed_cost)?, size_scale)?;
        pos.cost = sub(pos.cost, removed_cost)?;
        pos.size = add(pos.size, closed * delta.signum())?;
        opening = sub(delta, closed * delta.signum())?;
    }
    if opening != 0 {
        pos.cost = add(pos.cost, mul(price, opening)?)?;
        pos.size = add(pos.size, opening)?;
    }
    Ok(Settlement { funding, realized })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(size: i128, cost: i128) -> Position {
        Position {
            size,
            cost,
            funding_snapshot: 0,
            ..Default::default()
        }
    }

    #[test]
    fn open_add_reduce_flip() {
        // (start size, start cost, delta, price) → (size, cost, realized) at 0 decimals.
        type Case = ((i128, i128), i128, u64, (i128, i128, i128));
        let cases: &[Case] = &[
            ((0, 0), 2, 100, (2, 200, 0)),
            ((2, 200), 1, 130, (3, 330, 0)),
            // Long 3 @ 110 avg, sell 1 @ 120: removes ceil(330/3)=110, realizes 10.
            ((3, 330), -1, 120, (2, 220, 10)),
            // Long 3 cost 331, sell 1 @ 100: removes ceil(110.33)=111 → realizes −11.
            ((3, 331), -1, 100, (2, 220, -11)),
            // Short 2 @ 100, buy 3 @ 90: closes 2 (+20), opens long 1 @ 90.
            ((-2, -200), 3, 90, (1, 90, 20)),
            // Short 3 cost −331, buy 1 @ 100: removes ceil(−110.33)=−110 → realizes 10.
            ((-3, -331), 1, 100, (-2, -221, 10)),
            ((-3, -300), 3, 100, (0, 0, 0)),
        ];
        for &((size, cost), delta, price, expect) in cases {
            let mut p = pos(size, cost);
            let s = apply_trade(&mut p, delta, price, 0, 1).unwrap();
            assert_eq!(
                (p.size, p.cost, s.realized),
                expect,
                "{size}/{cost} {delta}@{price}"
            );
        }
    }

    #[test]
    fn realized_pnl_floors_to_micro_usdc() {
        // 4 decimals: long 1 unit-lot (0.0001) bought at 105, sold at 100: raw −5 → −1 micro.
        let mut p = pos(1, 105);
        assert_eq!(
            apply_trade(&mut p, -1, 100, 0, 10_000).unwrap().realized,
            -1
        );
        let mut p = pos(1, 100);
        assert_eq!(apply_trade(&mut p, -1, 105, 0, 10_000).unwrap().realized, 0);
    }

    #[test]
    fn funding_settles_before_the_size_changes() {
        let mut p = Position {
            size: 2,
            cost: 200,
            funding_snapshot: 0,
            ..Default::default()
        };
        let s = apply_trade(&mut p, 1, 100, 5_000_000, 1).unwrap();
        assert_eq!(s.funding, -10); // 2 units × 5 micro
        assert_eq!(p.funding_snapshot, 5_000_000);
    }

    #[test]
    fn risk_direction() {
        assert!(increases_risk(0, 1));
        assert!(increases_risk(2, 3));
        assert!(increases_risk(2, -1));
        assert!(!increases_risk(2, 1));
        assert!(!increases_risk(-2, 0));
        assert!(!increases_risk(0, 0));
    }
}
