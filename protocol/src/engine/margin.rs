//! Cross-margin risk of an account: equity and initial/maintenance margin over all of its
//! positions, valued at each market's mark price.
//!
//! - `upnl = floor((mark × size − cost) / 10^dec)`
//! - `funding = floor(−size × (index − snapshot) / (10^dec × SCALE))` (unsettled)
//! - `equity = collateral + Σ (upnl + funding)`
//! - `IM = Σ ceil(|size| × mark × im_bps / (10^dec × 10000))`, `MM` likewise with mm_bps.
//!
//! Placing an order that rests needs more: `equity ≥ Σ need` over the account's markets,
//! and a withdrawal needs `equity − amount ≥ Σ need`, where a market's `need` is the
//! worse of two cases valued at its mark, "every resting buy fills at its own price" and
//! "every resting sell fills at its own price":
//!
//! - `need_buy  = IM(|size + B|) + max(0, ⌈(N_B − B × mark) / 10^dec⌉)`
//! - `need_sell = IM(|size − S|) + max(0, ⌈(S × mark − N_S) / 10^dec⌉)`
//!
//! with `B`/`N_B` (`S`/`N_S`) the size and notional totals of the resting buys (sells)
//! that are not reduce-only, kept in the position leaf (`records::SideTotals`). A market
//! without orders needs exactly its `IM`. docs/PROTOCOL.md Part 4 §8 states the rule.
//!
//! The initial-margin rate is the market's `initial_margin_bps`, except where a check
//! holds new risk to the account's leverage setting ([`InitialRate::Leverage`],
//! `engine::leverage`, docs/PROTOCOL.md Part 4 §22): then it is the rate of the account's
//! leverage in that market, which is never below the market's.
//!
//! Every rounding makes the account look poorer or its requirement larger, i.e. favours
//! the system.

use super::Halt;
use super::funding::funding_credit;
use super::keys::position_key;
use super::leverage::initial_bps;
use super::math::{BPS, Overflow, add, ceil_div, floor_div, mul, size_scale, sub};
use super::option_risk::{self, SeriesContext, is_series, series_context};
use super::records::{MarketState, Position, SideTotals};
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

/// What resting an order and a withdrawal are checked against (micro-USDC): the account's
/// equity and the initial margin of its positions together with what its open orders
/// reserve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderMargin {
    pub equity: i128,
    pub required: i128,
}

/// Which margin must cover an order that has just entered the book, placed or moved (Part
/// 4 §8, §26, §27): the one rule `Order`, `ModifyOrder` and `BulkModify` share, so a
/// modify of one order and a bulk modify of several check the same things.
///
/// An order that keeps its place (shrunk in place by a modify) is never checked: it
/// reserves less than before. A reduce-only order reserves nothing (it is not in the side
/// totals), so it is never checked either: an account short of margin can still rest and
/// move the orders that close its risk. Any other order is covered by the margin of its
/// position's mode, and by no other: an isolated position's own margin (topped up from
/// what the cross account can spare, which never leaves the cross account short) or the
/// cross account's order margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reservation {
    /// Nothing to check.
    None,
    /// The isolated position's margin against its requirement with its resting orders.
    Isolated,
    /// The cross account's order margin over its cross markets.
    Cross,
}

impl Reservation {
    /// What an order with `reduce_only` that entered the book in `pos`'s market needs.
    pub fn of(pos: &Position, reduce_only: bool) -> Reservation {
        match (reduce_only, pos.isolated.is_some()) {
            (true, _) => Reservation::None,
            (false, true) => Reservation::Isolated,
            (false, false) => Reservation::Cross,
        }
    }
}

/// Which initial-margin rate a check values positions at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialRate {
    /// The market's `initial_margin_bps`: the liquidation target, the maker check at a
    /// fill, the read API's figures.
    Market,
    /// The rate of the account's leverage in each market (`engine::leverage`): what new
    /// risk (a taker's fill that increases risk, a resting order, a withdrawal) is held to.
    Leverage,
}

/// The initial-margin rate (bps) of `owner` in `market` under `rate`: reads the leverage
/// leaf only for [`InitialRate::Leverage`].
fn rate_bps<S: State>(
    st: &mut S,
    params: &MarketParams,
    owner: &Address,
    rate: InitialRate,
) -> Result<u32, StateError> {
    match rate {
        InitialRate::Market => Ok(params.initial_margin_bps),
        InitialRate::Leverage => initial_bps(st, params, owner),
    }
}

/// `⌈|size| × mark × bps / (10^dec × 10000)⌉`: a margin of `bps` on a size at the mark.
fn margin_at(size: i128, mark: i128, bps: u32, scale: i128) -> Result<i128, Overflow> {
    let notional_raw = mul(size.checked_abs().ok_or(Overflow)?, mark)?;
    ceil_div(mul(notional_raw, i128::from(bps))?, mul(scale, BPS)?)
}

pub fn position_risk(
    params: &MarketParams,
    ms: &MarketState,
    pos: &Position,
) -> Result<PositionRisk, Overflow> {
    position_risk_at(params, ms, pos, params.initial_margin_bps)
}

/// [`position_risk`] with `initial_bps` as the initial-margin rate.
fn position_risk_at(
    params: &MarketParams,
    ms: &MarketState,
    pos: &Position,
    initial_bps: u32,
) -> Result<PositionRisk, Overflow> {
    if pos.size == 0 {
        return Ok(PositionRisk::default());
    }
    let scale = size_scale(params.size_decimals)?;
    let mark = i128::from(ms.mark_price);
    let upnl = floor_div(sub(mul(mark, pos.size)?, pos.cost)?, scale)?;
    let funding = funding_credit(pos.size, pos.funding_snapshot, ms.funding_index, scale)?;
    Ok(PositionRisk {
        upnl,
        funding,
        initial: margin_at(pos.size, mark, initial_bps, scale)?,
        maintenance: margin_at(pos.size, mark, params.maintenance_margin_bps, scale)?,
    })
}

/// One side's case: the initial margin of the position after all of that side's orders
/// filled, plus what filling them at their own prices loses against the mark.
/// `loss_raw` is that loss undivided (micro-USDC × 10^dec); a gain counts as 0, so
/// orders priced better than the mark never lower the requirement below `IM`.
fn side_case(
    initial_bps: u32,
    (mark, scale): (i128, i128),
    size_after: i128,
    loss_raw: i128,
) -> Result<i128, Overflow> {
    let initial = margin_at(size_after, mark, initial_bps, scale)?;
    add(initial, ceil_div(loss_raw.max(0), scale)?)
}

/// `(size, notional)` of one side's totals as `i128`s.
fn totals(t: &SideTotals) -> Result<(i128, i128), Overflow> {
    let notional = i128::try_from(t.notional).map_err(|_| Overflow)?;
    Ok((i128::from(t.size), notional))
}

/// One market's requirement with its resting orders (see the module doc): the worse of
/// the all-buys-fill and the all-sells-fill case, at the initial-margin rate
/// `initial_bps` (the market's, or the account's leverage's).
pub fn market_requirement(
    params: &MarketParams,
    ms: &MarketState,
    pos: &Position,
    initial_bps: u32,
) -> Result<i128, Overflow> {
    let at = (i128::from(ms.mark_price), size_scale(params.size_decimals)?);
    let (bought, paid) = totals(&pos.bids)?;
    let (sold, received) = totals(&pos.asks)?;
    let buys = side_case(
        initial_bps,
        at,
        add(pos.size, bought)?,
        sub(paid, mul(bought, at.0)?)?,
    )?;
    let sells = side_case(
        initial_bps,
        at,
        sub(pos.size, sold)?,
        sub(mul(sold, at.0)?, received)?,
    )?;
    Ok(buys.max(sells))
}

/// The genesis parameters of a market an account's leaves refer to; a market genesis
/// does not define means the state is malformed.
fn params_of<'g>(
    genesis: &'g Genesis,
    owner: &Address,
    market: u32,
) -> Result<&'g MarketParams, StateError> {
    genesis.market(market).ok_or_else(|| StateError::Malformed {
        key: position_key(owner, market),
        reason: format!("position in market {market}, which genesis does not define"),
    })
}

/// What an account's market id names: a perp market of genesis, or a listed option series
/// (Part 8 §11).
enum Instrument<'g> {
    Perp(&'g MarketParams),
    Series(SeriesContext),
}

/// The instrument of `market` in `owner`'s account; one that is neither a genesis market
/// nor a listed series means the state is malformed.
fn instrument<'g, S: State>(
    st: &mut S,
    genesis: &'g Genesis,
    owner: &Address,
    market: u32,
) -> Result<Instrument<'g>, Halt> {
    if !is_series(market) {
        return Ok(Instrument::Perp(params_of(genesis, owner, market)?));
    }
    match series_context(st, genesis, market)? {
        Some(ctx) => Ok(Instrument::Series(ctx)),
        None => Err(StateError::Malformed {
            key: position_key(owner, market),
            reason: format!("position in series {market}, which is not listed"),
        }
        .into()),
    }
}

/// Equity and the requirement with open orders, over the same markets as `account_risk`
/// (`current` as there). Every listed position leaf is valued with its market leaf, also
/// one with only resting orders (`size = 0`), because its orders reserve margin at the
/// mark. The requirement is at the account's leverage in each market (its leverage leaf
/// is read too): resting orders and withdrawals are new risk.
pub fn order_margin<S: State>(
    st: &mut S,
    genesis: &Genesis,
    owner: &Address,
    collateral: i128,
    markets: &[u32],
    current: Option<(u32, &Position, &MarketState)>,
) -> Result<OrderMargin, Halt> {
    if let Some((market, pos, ms)) = current.filter(|(_, pos, _)| pos.isolated.is_some()) {
        return isolated_order_margin(st, genesis, owner, (market, pos, ms));
    }
    let mut pnl = 0i128;
    let mut required = 0i128;
    // Every listed leaf, also one with only resting orders (`size = 0`).
    let keep = |pos: &Position| !pos.is_flat();
    each_market(st, owner, markets, current, keep, |st, market, pos, ms| {
        let (p, need) = match instrument(st, genesis, owner, market)? {
            Instrument::Perp(params) => {
                let bps = rate_bps(st, params, owner, InitialRate::Leverage)?;
                (
                    position_risk_at(params, ms, pos, bps)?,
                    market_requirement(params, ms, pos, bps)?,
                )
            }
            Instrument::Series(ctx) => (
                option_risk::position_risk(&ctx, pos)?,
                option_risk::requirement(&ctx, pos)?,
            ),
        };
        pnl = add(pnl, add(p.upnl, p.funding)?)?;
        required = add(required, need)?;
        Ok(())
    })?;
    Ok(OrderMargin {
        equity: add(collateral, pnl)?,
        required,
    })
}

/// Visits `current` (the market being traded, held in memory; visited even if `markets`
/// does not list it yet) and every other market of `markets` whose stored position `keep`s,
/// with its market state: the one walk over an account's markets that its risk and its
/// order margin share. An isolated position is never visited from the list: it is no part
/// of the cross account (`engine::isolated`, Part 4 §26).
fn each_market<S: State>(
    st: &mut S,
    owner: &Address,
    markets: &[u32],
    current: Option<(u32, &Position, &MarketState)>,
    keep: impl Fn(&Position) -> bool,
    mut visit: impl FnMut(&mut S, u32, &Position, &MarketState) -> Result<(), Halt>,
) -> Result<(), Halt> {
    if let Some((market, pos, ms)) = current {
        visit(st, market, pos, ms)?;
    }
    for &market in markets {
        if current.is_some_and(|(m, _, _)| m == market) {
            continue;
        }
        let pos = load_position(st, owner, market)?;
        if pos.isolated.is_none() && keep(&pos) {
            // A series is valued from its own leaves (`option_risk`), not a market leaf.
            let ms = if is_series(market) {
                MarketState::default()
            } else {
                load_market(st, market)?
            };
            visit(st, market, &pos, &ms)?;
        }
    }
    Ok(())
}

/// Risk of `owner` with `collateral`, over its `markets`. `current` overrides the stored
/// position and market state of one market (the one being traded, held in memory); it is
/// included even if `markets` does not list it yet. `rate` says which initial-margin rate
/// `initial` is at (with [`InitialRate::Leverage`] each market's leverage leaf is read).
pub fn account_risk<S: State>(
    st: &mut S,
    genesis: &Genesis,
    owner: &Address,
    (collateral, markets): (i128, &[u32]),
    current: Option<(u32, &Position, &MarketState)>,
    rate: InitialRate,
) -> Result<AccountRisk, Halt> {
    if let Some((market, pos, ms)) = current.filter(|(_, pos, _)| pos.isolated.is_some()) {
        return isolated_risk(st, genesis, owner, (market, pos, ms), rate);
    }
    let mut risk = AccountRisk {
        collateral,
        ..Default::default()
    };
    let keep = |pos: &Position| pos.size != 0;
    each_market(st, owner, markets, current, keep, |st, market, pos, ms| {
        let p = match instrument(st, genesis, owner, market)? {
            Instrument::Perp(params) => {
                let bps = rate_bps(st, params, owner, rate)?;
                position_risk_at(params, ms, pos, bps)?
            }
            Instrument::Series(ctx) => option_risk::position_risk(&ctx, pos)?,
        };
        risk.pnl = add(risk.pnl, add(p.upnl, p.funding)?)?;
        risk.initial = add(risk.initial, p.initial)?;
        risk.maintenance = add(risk.maintenance, p.maintenance)?;
        Ok(())
    })?;
    risk.equity = add(collateral, risk.pnl)?;
    Ok(risk)
}

/// The risk of an isolated position on its own (Part 4 §26): its isolated margin is its
/// collateral and it is the only position; `rate` as in [`account_risk`].
pub fn isolated_risk<S: State>(
    st: &mut S,
    genesis: &Genesis,
    owner: &Address,
    (market, pos, ms): (u32, &Position, &MarketState),
    rate: InitialRate,
) -> Result<AccountRisk, Halt> {
    let params = params_of(genesis, owner, market)?;
    let bps = rate_bps(st, params, owner, rate)?;
    let p = position_risk_at(params, ms, pos, bps)?;
    let collateral = pos.isolated.unwrap_or(0);
    let pnl = add(p.upnl, p.funding)?;
    Ok(AccountRisk {
        collateral,
        pnl,
        equity: add(collateral, pnl)?,
        initial: p.initial,
        maintenance: p.maintenance,
    })
}

/// [`order_margin`] of an isolated position on its own: its equity against its market's
/// requirement with its resting orders, at the account's leverage.
pub fn isolated_order_margin<S: State>(
    st: &mut S,
    genesis: &Genesis,
    owner: &Address,
    (market, pos, ms): (u32, &Position, &MarketState),
) -> Result<OrderMargin, Halt> {
    let params = params_of(genesis, owner, market)?;
    let bps = rate_bps(st, params, owner, InitialRate::Leverage)?;
    let p = position_risk_at(params, ms, pos, bps)?;
    Ok(OrderMargin {
        equity: add(pos.isolated.unwrap_or(0), add(p.upnl, p.funding)?)?,
        required: market_requirement(params, ms, pos, bps)?,
    })
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
            ..Default::default()
        };
        let r = position_risk(btc, &ms, &pos).unwrap();
        assert_eq!(r.upnl, -1); // −0.0001 micro rounds down to −1
        assert_eq!(r.initial, 500_001); // 500,000.0001 rounds up
        assert_eq!(r.maintenance, 250_001);
        assert_eq!(r.funding, 0);
    }

    #[test]
    fn order_requirement_takes_the_worse_side_and_rounds_up() {
        let g = Genesis::devnet(1, Address::ZERO, Address::ZERO);
        let btc = g.market(1).unwrap(); // 4 decimals, IM 10%
        let ms = MarketState {
            mark_price: 50_000_000_000,
            ..Default::default()
        };
        let side = |size: u64, price: u64| SideTotals {
            size,
            notional: u128::from(size) * u128::from(price),
        };
        // (position size, bids, asks) → need, in micro-USDC.
        let cases: &[(i128, SideTotals, SideTotals, i128)] = &[
            // No orders: exactly the position's IM (1 BTC: 5,000 USD).
            (
                10_000,
                SideTotals::default(),
                SideTotals::default(),
                5_000_000_000,
            ),
            // Long 1, sells of 1.5: the sell case leaves short 0.5 → 2,500; the buy case
            // is the long's own 5,000.
            (
                10_000,
                SideTotals::default(),
                side(15_000, 50_000_000_000),
                5_000_000_000,
            ),
            // A bid of 1 lot (0.0001 BTC) at 50,000.000001, above the mark of 50,000: IM
            // 0.5 USD, and its loss of 0.0001 micro rounds up to 1 micro.
            (
                0,
                side(1, 50_000_000_001),
                SideTotals::default(),
                500_000 + 1,
            ),
            // An ask 1 USD below the mark: 1 BTC loses 1 USD on top of its 5,000 IM.
            (
                0,
                SideTotals::default(),
                side(10_000, 49_999_000_000),
                5_001_000_000,
            ),
        ];
        for &(size, bids, asks, need) in cases {
            let pos = Position {
                size,
                bids,
                asks,
                ..Default::default()
            };
            let at_market = market_requirement(btc, &ms, &pos, btc.initial_margin_bps);
            assert_eq!(at_market, Ok(need), "{pos:?}");
        }
    }
}
