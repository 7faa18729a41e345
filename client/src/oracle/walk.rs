//! The price model of the devnet oracle: a seeded random walk per market, in integer
//! micro-USDC on the market's tick grid. Each step moves a price by at most
//! `MAX_STEP_BPS` basis points (never below one tick), so orders placed near the mark stay
//! inside the engine's price band for a long time.

use protocol::genesis::MarketParams;
use protocol::workload::SplitMix64;

/// The largest move of one step, in basis points of the price.
pub const MAX_STEP_BPS: u64 = 10;

/// Where a market's walk starts when the chain has no price for it yet, by symbol
/// (micro-USDC): BTC 50,000, ETH 3,000, anything else 100.
pub fn starting_price(symbol: &str) -> u64 {
    match symbol.to_ascii_uppercase().as_str() {
        "BTC-PERP" => 50_000_000_000,
        "ETH-PERP" => 3_000_000_000,
        _ => 100_000_000,
    }
}

/// One market's walk.
#[derive(Debug, Clone)]
pub struct MarketWalk {
    pub market: u32,
    pub symbol: String,
    pub tick: u64,
    pub price: u64,
}

impl MarketWalk {
    /// Starts at `current` (the chain's mark price) if there is one, else at the symbol's
    /// starting price; snapped to the tick grid.
    pub fn new(params: &MarketParams, current: u64) -> MarketWalk {
        let tick = params.tick_size.max(1);
        let start = if current > 0 {
            current
        } else {
            starting_price(&params.symbol)
        };
        MarketWalk {
            market: params.id,
            symbol: params.symbol.clone(),
            tick,
            price: snap(start, tick),
        }
    }

    /// Moves the price by a uniform step in −MAX_STEP_BPS..=+MAX_STEP_BPS basis points.
    pub fn step(&mut self, rng: &mut SplitMix64) -> u64 {
        let bps = rng.below(2 * MAX_STEP_BPS + 1);
        let magnitude = u128::from(self.price) * u128::from(bps.abs_diff(MAX_STEP_BPS)) / 10_000;
        let magnitude = u64::try_from(magnitude).unwrap_or(u64::MAX);
        let moved = if bps >= MAX_STEP_BPS {
            self.price.saturating_add(magnitude)
        } else {
            self.price.saturating_sub(magnitude)
        };
        self.price = snap(moved, self.tick);
        self.price
    }
}

/// `price` rounded down to a multiple of `tick`, at least one tick.
fn snap(price: u64, tick: u64) -> u64 {
    (price / tick).max(1) * tick
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::genesis::Genesis;
    use protocol::primitives::Address;

    #[test]
    fn walks_stay_on_the_grid_and_within_the_step_bound() {
        let genesis = Genesis::devnet(1, Address([1; 20]), Address([2; 20]));
        for params in &genesis.markets {
            let mut walk = MarketWalk::new(params, 0);
            assert_eq!(walk.price, starting_price(&params.symbol));
            let mut rng = SplitMix64(7);
            let mut moved = false;
            for _ in 0..1_000 {
                let before = walk.price;
                let after = walk.step(&mut rng);
                assert_eq!(after % params.tick_size, 0, "{}", params.symbol);
                let bound = before / 10_000 * MAX_STEP_BPS + params.tick_size;
                assert!(after.abs_diff(before) <= bound, "{before} -> {after}");
                moved |= after != before;
            }
            assert!(moved, "{} never moved", params.symbol);
        }
    }

    #[test]
    fn a_walk_resumes_from_the_chain_price_and_never_reaches_zero() {
        let genesis = Genesis::devnet(1, Address([1; 20]), Address([2; 20]));
        let btc = &genesis.markets[0];
        assert_eq!(MarketWalk::new(btc, 51_234_567_890).price, 51_234_000_000);
        let mut tiny = MarketWalk::new(btc, 1);
        assert_eq!(tiny.price, btc.tick_size);
        let mut rng = SplitMix64(1);
        for _ in 0..100 {
            assert!(tiny.step(&mut rng) >= btc.tick_size);
        }
    }
}
