//! Cross-margin risk of an account: equity and initial/maintenance margin over all of its
//! positions, valued at each market's mark price.
//!
//! - `upnl = floor((mark × size − cost) / 10^dec)`
//! - `funding = floor(−size × (index − snapshot) / (10^dec × SCALE))` (unsettled)
//! - `equity = collateral + Σ (upnl + funding)`
//! - `IM = Σ ceil(|size| × mark × im_bps / (10^dec × 10000))`, `MM` likewise with mm_bps.
//!
//! Every rounding makes the account look poorer or its requirement larger, i.e. favours
//! the system.

use super::Halt;
use super::funding::funding_credit;
use super::keys::position_key;
use super::math::{BPS, Overflow, add, ceil_div, floor_div, mul, size_scale, sub};
use super::records::{MarketState, Position};
use super::storage::{load_market, load_position};
use crate::genesis::{Genesis, MarketParams};
use crate::primitives::Address;
use crate::state::{State, StateError};

/// One position's contribution to its account's risk (micro-USDC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PositionRisk {
    pub upnl: i128,
    pub funding: i128,
    pub initial: i128,
    pub maintenance: i128,
}

/// An account's aggregate risk (micro-USDC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountRisk {
    pub collateral: i128,
    /// Σ (upnl + unsettled funding): what closing everything at mark would add.
    pub pnl: i128,
    pub equity: i128,
    pub initial: i128,
    pub maintenance: i128,
}

pub fn position_risk(
    params: &MarketParams,
    ms: &MarketState,
    pos: &Position,
) -> Result<PositionRisk, Overflow> {
    if pos.size == 0 {
        return Ok(PositionRisk::default());
    }
    let scale = size_scale(params.size_decimals)?;
    let mark = i128::from(ms.mark_price);
    let upnl = floor_div(sub(mul(mark, pos.size)?, pos.cost)?, scale)?;
    let funding = funding_credit(pos.size, pos.funding_snapshot, ms.funding_index, scale)?;
    let notional_raw = mul(pos.size.checked_abs().ok_or(Overflow)?, mark)?;
    let denominator = mul(scale, BPS)?;
    let initial = ceil_div(
        mul(notional_raw, i128::from(params.initial_margin_bps))?,
        denominator,
    )?;
    let maintenance = ceil_div(
        mul(notional_raw, i128::from(params.maintenance_margin_bps))?,
        denominator,
    )?;
    Ok(PositionRisk {
        upnl,
        funding,
        initial,
        maintenance,
    })
}

/// Risk of `owner` with `collateral`, over its `markets`. `current` overrides the stored
/// position and market state of one market (the one being traded, held in memory); it is
/// included even if `markets` does not list it yet.
pub fn account_risk<S: State>(
    st: &mut S,
    genesis: &Genesis,
    owner: &Address,
    collateral: i128,
    markets: &[u32],
    current: Option<(u32, &Position, &MarketState)>,
) -> Result<AccountRisk, Halt> {
    let mut risk = AccountRisk {
        collateral,
        ..Default::default()
    };
    let add_position = |risk: &mut AccountRisk,
                        market: u32,
                        pos: &Position,
                        ms: &MarketState|
     -> Result<(), Halt> {
        let params = genesis
            .market(market)
            .ok_or_else(|| StateError::Malformed {
                key: position_key(owner, market),
                reason: format!("position in market {market}, which genesis does not define"),
            })?;
        let p = position_risk(params, ms, pos)?;
        risk.pnl = add(risk.pnl, add(p.upnl, p.funding)?)?;
        risk.initial = add(risk.initial, p.initial)?;
        risk.maintenance = add(risk.maintenance, p.maintenance)?;
        Ok(())
    };
    if let Some((market, pos, ms)) = current {
        add_position(&mut risk, market, pos, ms)?;
    }
    for &market in markets {
        if current.is_some_and(|(m, _, _)| m == market) {
            continue;
        }
        let pos = load_position(st, owner, market)?;
        if pos.size != 0 {
            let ms = load_market(st, market)?;
            add_position(&mut risk, market, &pos, &ms)?;
        }
    }
    risk.equity = add(collateral, risk.pnl)?;
    Ok(risk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_risk_rounds_against_the_trader() {
        let g = Genesis::devnet(1, Address::ZERO, Address::ZERO);
        let btc = g.market(1).unwrap(); // 4 decimals, IM 10%, MM 5%
        let ms = MarketState {
            mark_price: 50_000_000_001,
            ..Default::default()
        };
        // Long 1 lot (0.0001 BTC) bought at 50,000.000002 USD.
        let pos = Position {
            size: 1,
            cost: 50_000_000_002,
            funding_snapshot: 0,
            open_orders: 0,
        };
        let r = position_risk(btc, &ms, &pos).unwrap();
        assert_eq!(r.upnl, -1); // −0.0001 micro rounds down to −1
        assert_eq!(r.initial, 500_001); // 500,000.0001 rounds up
        assert_eq!(r.maintenance, 250_001);
        assert_eq!(r.funding, 0);
    }
}
