//! What an account view implies, by the engine's own rules and integer math only: how much
//! may be withdrawn now, and per position its leverage and the mark price at which the
//! account would become liquidatable.
//!
//! - Withdrawable (`protocol::engine::transfers::withdraw`; no pure protocol function
//!   computes it, so this mirrors it): an amount passes when
//!   `amount ≤ collateral + min(0, pnl)` and `equity − amount ≥ order_margin` (the initial
//!   margin of the positions with what resting orders reserve), and nothing passes while
//!   a position's oracle price is stale. So the most is
//!   `max(0, min(collateral + min(0, pnl), equity − order_margin))`, with
//!   `pnl = equity − collateral` (`protocol::engine::margin`:
//!   `equity = collateral + Σ(upnl + funding)`).
//! - Liquidation price (`protocol::engine::liquidation`: liquidatable when
//!   `equity < MM`): moving one market's mark by `Δ` moves equity by `Δ·size/10^dec` and
//!   MM by `Δ·|size|·mm_bps/(10^dec·10⁴)`, so equity meets MM at
//!   `mark − (equity − MM)·10^dec·10⁴ / (size·10⁴ − |size|·mm_bps)`, other markets' prices
//!   and unsettled funding held where they are. The engine's roundings (upnl down, margin
//!   up) only move it by a micro-USDC or so; it is rounded towards the mark.

use protocol::engine::view::{AccountView, PositionView};
use protocol::genesis::MarketParams;

const BPS: i128 = 10_000;

/// The most `view`'s account could withdraw now (micro-USDC), by the engine's Withdraw
/// rule (PROTOCOL.md Part 4 §8): at most the collateral less unrealized losses, leaving
/// equity for the initial margin of the positions and of the resting orders
/// (`order_margin`); 0 while a price is stale.
pub fn withdrawable(view: &AccountView) -> i128 {
    if view.positions.iter().any(|p| p.price_stale) {
        return 0;
    }
    let pnl = view.equity.saturating_sub(view.collateral);
    let unspent = view.collateral.saturating_add(pnl.min(0));
    let free = view.equity.saturating_sub(view.order_margin);
    unspent.min(free).max(0)
}

/// The mark price of `position`'s market at which its account becomes liquidatable,
/// `None` if no positive price would do it (or the figures overflow).
pub fn liquidation_price(
    view: &AccountView,
    position: &PositionView,
    params: &MarketParams,
) -> Option<u128> {
    let scale = 10i128.checked_pow(u32::from(params.size_decimals))?;
    let size = position.size;
    let per_unit = size.checked_mul(BPS)?.checked_sub(
        size.checked_abs()?
            .checked_mul(i128::from(params.maintenance_margin_bps))?,
    )?;
    if per_unit == 0 {
        return None;
    }
    let cushion = view
        .equity
        .checked_sub(view.maintenance_margin)?
        .checked_mul(scale)?
        .checked_mul(BPS)?;
    // Truncating the quotient rounds the price towards the mark (conservative).
    let price = i128::from(position.mark_price).checked_sub(cushion.checked_div(per_unit)?)?;
    u128::try_from(price).ok().filter(|p| *p > 0)
}

/// The position's notional at mark (micro-USDC): `|size| × mark / 10^dec`.
pub fn notional(position: &PositionView, size_decimals: u8) -> Option<u128> {
    let scale = 10u128.checked_pow(u32::from(size_decimals))?;
    position
        .size
        .unsigned_abs()
        .checked_mul(u128::from(position.mark_price))
        .map(|n| n / scale)
}

/// Notional over the account's equity in basis points (25,000 = 2.5×), rounded down;
/// `None` when equity is not positive (leverage is then unbounded).
pub fn leverage_bps(notional: u128, equity: i128) -> Option<u128> {
    let equity = u128::try_from(equity).ok().filter(|e| *e > 0)?;
    notional.checked_mul(10_000).map(|n| n / equity)
}
