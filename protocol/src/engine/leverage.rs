//! Leverage per account and market (issue #16): `SetLeverage` stores the account's
//! leverage `L` in a market, `1 ≤ L ≤ ⌊10000 / initial_margin_bps⌋`; new risk in that
//! market (a taker fill that increases risk, a resting order, a withdrawal) is then held to
//! the initial-margin rate `max(initial_margin_bps, ⌈10000 / L⌉)` bps instead of the
//! market's. The maximum leverage is the default and is stored as no leaf, so an account
//! that never sets one behaves (and hashes) exactly as before. Maintenance margin and
//! liquidation do not depend on it: leverage is the trader's own, stricter limit on
//! opening risk, never a reason to be liquidated earlier.
//!
//! Lowering the leverage is refused (`leverage_insufficient_margin`) when the account's
//! equity would not cover its positions and open orders at the new rate (the order margin
//! of `margin::order_margin`), and (`leverage_isolated_margin_short`) when an isolated
//! position in the market would fall below its initial margin with its resting orders (its
//! margin is no part of the cross equity); raising it only lowers requirements and is
//! never refused.
//! docs/PROTOCOL.md Part 4 §22.

use super::keys::leverage_key;
use super::margin::{isolated_order_margin, order_margin};
use super::math::sub;
use super::receipt::{Receipt, Status};
use super::records::LeverageSetting;
use super::storage::{load_account, load_market, load_position, read};
use super::{Halt, reject_with};
use crate::action::SetLeverage;
use crate::genesis::{Genesis, MarketParams};
use crate::primitives::Address;
use crate::state::{State, StateError};
use crate::units::{USDC_DECIMALS, format_decimal_wide, format_usdc_signed};

/// The most leverage `params`' market allows: `⌊10000 / initial_margin_bps⌋` (genesis
/// keeps the rate in 1..=10000, so this is at least 1).
pub fn max_leverage(params: &MarketParams) -> u32 {
    (10_000 / params.initial_margin_bps.max(1)).max(1)
}

/// The initial-margin rate (bps) of leverage `leverage` in `params`' market:
/// `max(initial_margin_bps, ⌈10000 / leverage⌉)`, rounded up (the system's favour).
pub fn rate_of(params: &MarketParams, leverage: u32) -> u32 {
    params
        .initial_margin_bps
        .max(10_000u32.div_ceil(leverage.max(1)))
}

/// `owner`'s leverage in `params`' market: its stored setting, or the market's maximum.
pub fn leverage_of<S: State>(
    st: &mut S,
    params: &MarketParams,
    owner: &Address,
) -> Result<u32, StateError> {
    let key = leverage_key(owner, params.id);
    let found: Option<LeverageSetting> = read(st, &key)?;
    match found {
        None => Ok(max_leverage(params)),
        Some(s) if s.owner == *owner && s.market == params.id => Ok(s.leverage),
        Some(s) => Err(StateError::Malformed {
            key,
            reason: format!(
                "leverage leaf names {} in market {}, not {owner} in {}",
                s.owner, s.market, params.id
            ),
        }),
    }
}

/// The initial-margin rate (bps) new risk of `owner` in `params`' market is held to.
pub fn initial_bps<S: State>(
    st: &mut S,
    params: &MarketParams,
    owner: &Address,
) -> Result<u32, StateError> {
    Ok(rate_of(params, leverage_of(st, params, owner)?))
}

/// `SetLeverage` (after the common checks): validates the leverage, stores it (deletes the
/// leaf at the maximum), and when it is lower than before checks the order margin at it.
pub(super) fn set<S: State>(
    st: &mut S,
    genesis: &Genesis,
    l: &SetLeverage,
) -> Result<Receipt, Halt> {
    let Some(params) = genesis.market(l.market) else {
        return reject_with(
            Status::UnknownMarket,
            format!("market {}; `vigil markets` lists them", l.market),
        );
    };
    let max = max_leverage(params);
    if l.leverage == 0 || l.leverage > max {
        return reject_with(
            Status::LeverageOutOfRange,
            format!(
                "leverage {}x asked; {} allows 1x to {max}x (initial margin {} bps)",
                l.leverage, params.symbol, params.initial_margin_bps
            ),
        );
    }
    let before = leverage_of(st, params, &l.account)?;
    let key = leverage_key(&l.account, l.market);
    if l.leverage == max {
        st.delete(&key)?;
    } else {
        let setting = LeverageSetting {
            owner: l.account,
            market: l.market,
            leverage: l.leverage,
        };
        st.set_record(&key, &setting)?;
    }
    if l.leverage < before {
        check_margin_at(st, genesis, params, l)?;
        check_isolated_at(st, genesis, params, l)?;
    }
    Ok(Receipt::ok())
}

/// The order margin of §8 with the new leverage stored: equity must cover it.
fn check_margin_at<S: State>(
    st: &mut S,
    genesis: &Genesis,
    params: &MarketParams,
    l: &SetLeverage,
) -> Result<(), Halt> {
    let acct = load_account(st, &l.account)?;
    let m = order_margin(
        st,
        genesis,
        &l.account,
        acct.collateral,
        &acct.markets,
        None,
    )?;
    if m.equity >= m.required {
        return Ok(());
    }
    reject_with(
        Status::LeverageInsufficientMargin,
        format!(
            "at {}x in {}: required {} USDC (initial margin of the positions and open orders), available {} USDC (equity); max leverage {}x; a higher leverage, a deposit or a smaller position fits",
            l.leverage,
            params.symbol,
            format_usdc_signed(m.required),
            format_usdc_signed(m.equity),
            max_leverage(params)
        ),
    )
}

/// An isolated position in the market is no part of the cross equity of
/// [`check_margin_at`]: with the new leverage stored, its own margin and PnL must cover its
/// initial margin with its resting orders (the check of `IsolatedMargin`'s removal). Reads
/// the position, market and setting leaves the cross walk skipped for it: no new path.
fn check_isolated_at<S: State>(
    st: &mut S,
    genesis: &Genesis,
    params: &MarketParams,
    l: &SetLeverage,
) -> Result<(), Halt> {
    let pos = load_position(st, &l.account, l.market)?;
    let Some(margin) = pos.isolated.filter(|_| !pos.is_flat()) else {
        return Ok(());
    };
    let ms = load_market(st, l.market)?;
    let m = isolated_order_margin(st, genesis, &l.account, (l.market, &pos, &ms))?;
    if m.equity >= m.required {
        return Ok(());
    }
    let short = sub(m.required, m.equity)?;
    reject_with(
        Status::LeverageIsolatedMarginShort,
        format!(
            "at {}x the isolated {} position needs {} USDC (initial margin with its resting orders), its equity is {} USDC (margin {} USDC with unrealized PnL and funding); add at least {} USDC first (`vigil margin add --market {} {}`) or keep a higher leverage",
            l.leverage,
            params.symbol,
            format_usdc_signed(m.required),
            format_usdc_signed(m.equity),
            format_usdc_signed(margin),
            format_usdc_signed(short),
            params.symbol,
            format_decimal_wide(short.unsigned_abs(), USDC_DECIMALS, 0).replace(',', ""),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_never_fall_below_the_market_and_round_up() {
        let g = Genesis::devnet(1, Address::ZERO, Address::ZERO);
        let btc = g.market(1).unwrap().clone(); // IM 10 %
        assert_eq!(max_leverage(&btc), 10);
        // (leverage, rate bps)
        for (leverage, bps) in [(1, 10_000), (2, 5_000), (3, 3_334), (7, 1_429), (10, 1_000)] {
            assert_eq!(rate_of(&btc, leverage), bps, "{leverage}x");
        }
        let thin = MarketParams {
            initial_margin_bps: 300, // 3 %: ⌊10000 / 300⌋ = 33x
            ..btc
        };
        assert_eq!(max_leverage(&thin), 33);
        assert_eq!(rate_of(&thin, 33), 304); // ⌈10000 / 33⌉ = 304 > 300
    }
}
