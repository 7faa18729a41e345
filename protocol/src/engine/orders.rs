//! Placing an order: validation (market, tick, lot, band, staleness, circuit breaker, reduce-only,
//! post-only, open-order limit), matching, the time-in-force outcome (rest, cancel, or
//! all-or-nothing), the taker's margin check, and, for an order that rests, the margin its
//! resting orders reserve. Any rejection, including one found after matching (FOK,
//! open-interest cap, taker margin, reservation), leaves the state unchanged because
//! `apply_tx` restores its snapshot.

use super::book::{best_price, claim_slot, insert_order, side_of};
use super::breaker;
use super::funding::accrue;
use super::isolated;
use super::margin::{InitialRate, Reservation, account_risk, order_margin};
use super::mark;
use super::matching::{self, Market, Taker};
use super::math::size_scale;
use super::option_orders;
use super::option_risk::is_series;
use super::position::increases_risk;
use super::receipt::{OrderOutcome, Receipt, Status};
use super::records::{BookOrder, MAX_MARKETS, MAX_OPEN_ORDERS, MarketState, Position};
use super::storage::{
    load_account, load_market, load_meta, load_position, store_account, store_market, store_meta,
    store_position_over,
};
use super::{BlockContext, Halt, reject, reject_with};
use crate::action::{Order, TimeInForce};
use crate::genesis::{Genesis, MarketParams};
use crate::state::State;
use crate::units::{format_bps, format_price, format_usdc_signed};
use std::borrow::Cow;

/// The static checks on an order against its market's parameters.
pub(super) fn validate(params: &MarketParams, o: &Order) -> Result<(), Status> {
    if o.price == 0 || o.price.checked_rem(params.tick_size) != Some(0) {
        return Err(Status::InvalidTick);
    }
    if o.size == 0 {
        return Err(Status::ZeroSize);
    }
    if o.size.checked_rem(params.lot_size) != Some(0) {
        return Err(Status::InvalidLot);
    }
    if o.size > params.open_interest_cap {
        return Err(Status::SizeTooLarge);
    }
    Ok(())
}

/// The rejection detail of an order priced outside the band: the band's prices, in USD.
fn band_detail(price: u64, mark: u64, band_bps: u32) -> String {
    let reach = u128::from(mark) * u128::from(band_bps) / 10_000;
    let (mark, price) = (u128::from(mark), u128::from(price));
    format!(
        "price {} is outside the ±{} band around the mark {}; this market takes prices from {} to {} now",
        format_price(price),
        format_bps(band_bps),
        format_price(mark),
        format_price(mark.saturating_sub(reach)),
        format_price(mark + reach)
    )
}

/// `|price − mark| × 10000 ≤ mark × price_band_bps`, exactly.
fn within_band(price: u64, mark: u64, band_bps: u32) -> bool {
    u128::from(price.abs_diff(mark)) * 10_000 <= u128::from(mark) * u128::from(band_bps)
}

/// Whether the market's oracle price is older than `max_price_age_ms` at batch time.
pub fn is_stale(genesis: &Genesis, ctx: &BlockContext, price_timestamp_ms: u64) -> bool {
    ctx.timestamp_ms.saturating_sub(price_timestamp_ms) > genesis.max_price_age_ms
}

/// Whether an order can only shrink the account's position, however it fills or rests:
/// reduce-only, or opposite to the position and, with the account's resting orders on the
/// same side that are not reduce-only, at most its size.
fn may_only_reduce(o: &Order, pos: &Position) -> bool {
    let (opposite, resting) = if o.is_buy {
        (pos.size < 0, pos.bids.size)
    } else {
        (pos.size > 0, pos.asks.size)
    };
    o.reduce_only
        || (opposite && u128::from(o.size) + u128::from(resting) <= pos.size.unsigned_abs())
}

/// The resting check: with the new order on the book (and the fills of its taker part
/// applied), equity must cover the initial margin of the positions together with what
/// the open orders reserve (`margin::order_margin`, docs/PROTOCOL.md Part 4 §8).
fn check_reservation<S: State>(
    st: &mut S,
    genesis: &Genesis,
    o: &Order,
    taker: &Taker,
    ms: &MarketState,
) -> Result<(), Halt> {
    let current = Some((o.market, &taker.pos, ms));
    let m = order_margin(
        st,
        genesis,
        &o.account,
        taker.acct.collateral,
        &taker.acct.markets,
        current,
    )?;
    if m.equity >= m.required {
        return Ok(());
    }
    reject_with(
        Status::InsufficientMargin,
        format!(
            "a resting order reserves margin for its worst-case fill: required {} USDC (initial margin of the positions and of the open orders), available {} USDC (equity); a smaller size, or a deposit, fits",
            format_usdc_signed(m.required),
            format_usdc_signed(m.equity)
        ),
    )
}

/// The admission checks of an order on a perp market: known market, tick and lot, an
/// oracle price, the band, staleness and the circuit breaker. Returns the market's terms
/// and leaf.
pub(super) fn admit_perp<'g, S: State>(
    st: &mut S,
    genesis: &'g Genesis,
    ctx: &BlockContext,
    o: &Order,
) -> Result<(&'g MarketParams, MarketState), Halt> {
    let Some(params) = genesis.market(o.market) else {
        return reject(Status::UnknownMarket);
    };
    validate(params, o).map_err(Halt::Reject)?;
    let ms = load_market(st, o.market)?;
    if ms.mark_price == 0 {
        return reject(Status::NoPrice);
    }
    if !within_band(o.price, ms.mark_price, params.price_band_bps) {
        return reject_with(
            Status::PriceOutsideBand,
            band_detail(o.price, ms.mark_price, params.price_band_bps),
        );
    }
    // A stale price allows only orders that cannot add risk.
    if is_stale(genesis, ctx, ms.price_timestamp_ms) && !o.reduce_only {
        return reject(Status::StalePrice);
    }
    // A tripped circuit breaker allows only orders that cannot increase the position.
    if let Some(t) = breaker::tripped(genesis, params, &ms, ctx.timestamp_ms) {
        let pos = load_position(st, &o.account, o.market)?;
        if !may_only_reduce(o, &pos) {
            return reject_with(Status::MarketHalted, breaker::detail(params, &t));
        }
    }
    Ok((params, ms))
}

/// What an order placed by `ClientOrder` (or replaced by `ModifyOrder`) carries on the
/// book beyond an `Order`: its good-till-time and client id (0 = none, as in `BookOrder`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terms {
    pub expires_at_ms: u64,
    pub client_id: u128,
}

/// Places an `Order` (no terms).
pub fn place<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    o: &Order,
) -> Result<Receipt, Halt> {
    place_with(st, genesis, ctx, o, Terms::default())
}

/// Places `o`; a part that rests carries `terms`.
pub fn place_with<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    o: &Order,
    terms: Terms,
) -> Result<Receipt, Halt> {
    let option = is_series(o.market);
    let (params, ms_before) = if option {
        let (params, ms) = option_orders::admit(st, genesis, ctx, o)?;
        (Cow::Owned(params), ms)
    } else {
        let (params, ms) = admit_perp(st, genesis, ctx, o)?;
        (Cow::Borrowed(params), ms)
    };
    let params = params.as_ref();
    let may_rest = matches!(o.tif, TimeInForce::Gtc | TimeInForce::PostOnly);
    let acct = load_account(st, &o.account)?;
    if may_rest && acct.open_orders >= MAX_OPEN_ORDERS {
        return reject(Status::TooManyOpenOrders);
    }
    let pos = load_position(st, &o.account, o.market)?;
    // Perps and series share the account's `MAX_MARKETS` position slots.
    if !acct.markets.contains(&o.market) && acct.markets.len() >= MAX_MARKETS {
        return reject_with(
            Status::TooManyPositions,
            format!(
                "the account holds positions or orders in {} markets and series, the most one account may; close or cancel one first",
                acct.markets.len()
            ),
        );
    }
    let size_before = pos.size;
    let mut size = o.size;
    if o.reduce_only {
        let direction: i128 = if o.is_buy { 1 } else { -1 };
        if pos.size == 0 || pos.size.signum() == direction {
            return reject(Status::ReduceOnlyWouldIncrease);
        }
        size = size.min(u64::try_from(pos.size.unsigned_abs()).unwrap_or(u64::MAX));
    }
    if o.tif == TimeInForce::PostOnly {
        let best = best_price(st, o.market, side_of(!o.is_buy))?;
        if best.is_some_and(|p| if o.is_buy { p <= o.price } else { p >= o.price }) {
            return reject(Status::PostOnlyWouldCross);
        }
    }

    let mkt = Market {
        genesis,
        params,
        size_scale: size_scale(params.size_decimals)?,
        now_ms: ctx.timestamp_ms,
        premium_at_fill: option,
    };
    let mut ms = ms_before.clone();
    // Funding accrues to the block time before anything settles against the index (§6);
    // a series has no funding.
    if !option {
        accrue(&mut ms, ctx.timestamp_ms, genesis.funding_period_ms)?;
    }
    let mut taker = Taker { acct, pos };
    let acct_before = taker.acct.clone();
    let pos_before = taker.pos.clone();
    // Which margin the order must be covered by if it rests (`Reservation`, the rule a
    // bulk modify shares). An isolated position first draws what this order's worst case
    // needs (Part 4 §26).
    let reservation = Reservation::of(&taker.pos, o.reduce_only);
    let drawn = if reservation == Reservation::Isolated {
        isolated::draw_for_order(st, genesis, (params, &ms), o, &mut taker)?
    } else {
        0
    };
    let m = matching::run(st, &mkt, &mut ms, &mut taker, o, size)?;
    if o.tif == TimeInForce::Fok && m.remaining > 0 {
        return reject(Status::FokNotFilled);
    }

    let mut outcome = OrderOutcome {
        filled: m.filled,
        resting: 0,
        cancelled: o.size - size,
    };
    if m.remaining > 0 {
        if may_rest && !m.still_crossing {
            let seq = ms.next_seq;
            ms.next_seq = seq.checked_add(1).ok_or(super::math::Overflow)?;
            let resting = BookOrder {
                account: o.account,
                nonce: o.nonce,
                price: o.price,
                remaining: m.remaining,
                reduce_only: o.reduce_only,
                expires_at_ms: terms.expires_at_ms,
                client_id: terms.client_id,
            };
            insert_order(st, o.market, side_of(o.is_buy), seq, &resting)?;
            claim_slot(&mut taker.acct, &mut taker.pos, side_of(o.is_buy), &resting)?;
            outcome.resting = m.remaining;
        } else {
            outcome.cancelled += m.remaining;
        }
    }

    if m.filled > 0 {
        if increases_risk(size_before, taker.pos.size) {
            let current = Some((o.market, &taker.pos, &ms));
            let risk = account_risk(
                st,
                genesis,
                &o.account,
                (taker.acct.collateral, &taker.acct.markets),
                current,
                InitialRate::Leverage,
            )?;
            if risk.equity < risk.initial {
                return reject_with(
                    Status::InsufficientMargin,
                    format!(
                        "after the fill equity would be {} USDC against {} USDC of initial margin; a smaller size, or a deposit, fits",
                        format_usdc_signed(risk.equity),
                        format_usdc_signed(risk.initial)
                    ),
                );
            }
        }
        let left = isolated::balance(&taker.acct, &taker.pos);
        if left < 0 {
            return reject_with(
                Status::InsufficientCollateral,
                format!(
                    "collateral after the fill and its fees would be {} USDC",
                    format_usdc_signed(left)
                ),
            );
        }
    }

    // A reduce-only remainder reserves nothing (it is not in the side totals), so only
    // others are checked; an account short of margin can still rest reduce-only orders.
    if outcome.resting > 0 && reservation != Reservation::None {
        check_reservation(st, genesis, o, &taker, &ms)?;
    }

    isolated::return_excess(st, genesis, (o.market, &ms), drawn, &mut taker)?;
    if taker.pos != pos_before {
        // Matching wrote other accounts' positions only (a self-trade is settled in
        // memory), so the taker's leaf still holds `pos_before`.
        store_position_over(st, &mut taker.acct, o.market, &pos_before, &taker.pos)?;
    }
    if taker.acct != acct_before {
        store_account(st, &taker.acct)?;
    }
    if !option {
        mark::sample(st, params, &mut ms, genesis.max_funding_premium_bps)?;
    }
    if ms != ms_before {
        store_market(st, o.market, &ms)?;
    }
    if m.fees != 0 || m.collateral_change != 0 {
        let mut meta = load_meta(st)?;
        meta.fees = super::math::add(meta.fees, m.fees)?;
        meta.total_collateral = super::math::add(meta.total_collateral, m.collateral_change)?;
        store_meta(st, &meta)?;
    }
    Ok(Receipt {
        fills: m.fills,
        cancelled: m.cancelled,
        order: Some(outcome),
        ..Receipt::ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_is_inclusive_and_exact() {
        // mark 100, band 10%: 90 and 110 are in, 89.999999 is out.
        assert!(within_band(110_000_000, 100_000_000, 1_000));
        assert!(within_band(90_000_000, 100_000_000, 1_000));
        assert!(!within_band(89_999_999, 100_000_000, 1_000));
        assert!(!within_band(u64::MAX, 1, 10_000));
    }
}
