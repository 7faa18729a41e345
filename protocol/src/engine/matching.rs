//! The matching loop: walks the opposite side of the book best-first, filling the taker
//! at each maker's price until the taker is filled, the book no longer crosses, or the
//! order has used `max_fills_per_order` events.
//!
//! An event is a fill or a resting order removed on the way: an order past its
//! good-till-time (it never fills; reason `expired`), the taker's own order
//! (self-trade prevention), a maker whose fill would leave it below initial margin or with
//! negative collateral, or a reduce-only maker with nothing to reduce. Makers are settled
//! and written fill by fill; the taker is accumulated in memory and checked and written by
//! the caller (`orders::place`), so a taker rejection is a clean no-op.

use super::book::{best_order, release_order, release_size, remove_order, update_order};
use super::isolated::{balance, credit};
use super::margin::{InitialRate, account_risk};
use super::math::{Overflow, add, fee, long_part, sub};
use super::option_risk::premium_credit;
use super::position::{apply_trade, increases_risk};
use super::receipt::{CancelReason, CancelledOrder, Fill, Status};
use super::records::{Account, BookOrder, MarketState, Position};
use super::storage::{load_account, load_position, store_account, store_position_over};
use super::{Halt, reject};
use crate::action::Order;
use crate::genesis::{Genesis, MarketParams};
use crate::state::{Key, State};

/// The taker, held in memory for the whole order.
#[derive(Debug)]
pub struct Taker {
    pub acct: Account,
    pub pos: Position,
}

/// What one order's matching produced.
#[derive(Debug, Default)]
pub struct Matched {
    pub remaining: u64,
    pub filled: u64,
    /// The fill limit was reached while the book still crossed the order's price.
    pub still_crossing: bool,
    pub fills: Vec<Fill>,
    pub cancelled: Vec<CancelledOrder>,
    /// Fees to add to `meta.fees`.
    pub fees: i128,
    /// Net change of all accounts' collateral, for `meta.total_collateral`.
    pub collateral_change: i128,
}

/// The market being traded and its parameters.
pub struct Market<'a> {
    pub genesis: &'a Genesis,
    pub params: &'a MarketParams,
    pub size_scale: i128,
    /// The batch timestamp: a maker past its good-till-time at it is removed, not filled.
    pub now_ms: u64,
    /// An option series: the premium changes hands at each fill (`option_risk`) instead of
    /// the perps' cost basis, funding and realized PnL.
    pub premium_at_fill: bool,
}

/// Settles a fill of signed `delta` at `price` into `pos`: what the trader's collateral is
/// credited (negative: debited), drawn from (or paid into) the market's pool.
fn settle_fill(
    mkt: &Market<'_>,
    pos: &mut Position,
    delta: i128,
    price: u64,
    funding_index: i128,
) -> Result<i128, Overflow> {
    if mkt.premium_at_fill {
        pos.size = add(pos.size, delta)?;
        return premium_credit(delta, price, mkt.size_scale);
    }
    apply_trade(pos, delta, price, funding_index, mkt.size_scale)?.total()
}

fn crosses(taker_is_buy: bool, limit: u64, maker_price: u64) -> bool {
    if taker_is_buy {
        maker_price <= limit
    } else {
        maker_price >= limit
    }
}

/// Matches `order` for `size` against the book.
pub fn run<S: State>(
    st: &mut S,
    mkt: &Market<'_>,
    ms: &mut MarketState,
    taker: &mut Taker,
    order: &Order,
    size: u64,
) -> Result<Matched, Halt> {
    let mut m = Matched {
        remaining: size,
        ..Default::default()
    };
    let opposite = super::book::side_of(!order.is_buy);
    let mut events = 0u32;
    while m.remaining > 0 {
        let Some((key, maker_order)) = best_order(st, order.market, opposite)? else {
            break;
        };
        if !crosses(order.is_buy, order.price, maker_order.price) {
            break;
        }
        if events >= mkt.genesis.max_fills_per_order {
            m.still_crossing = true;
            break;
        }
        events += 1;
        let expired = maker_order.is_expired_at(mkt.now_ms);
        if maker_order.account == order.account {
            remove_order(st, order.market, &key, &maker_order)?;
            release_order(&mut taker.acct, &mut taker.pos, opposite, &maker_order)?;
            let reason = if expired {
                CancelReason::Expired
            } else {
                CancelReason::SelfTrade
            };
            m.cancelled.push(cancelled(
                order.market,
                &maker_order,
                maker_order.remaining,
                reason,
            ));
            continue;
        }
        if expired {
            let owner = (
                load_account(st, &maker_order.account)?,
                load_position(st, &maker_order.account, order.market)?,
            );
            let at = (order.market, opposite);
            drop_maker(
                st,
                at,
                (&key, &maker_order),
                owner,
                CancelReason::Expired,
                &mut m,
            )?;
            continue;
        }
        fill_maker(st, mkt, ms, taker, order, &mut m, (key, maker_order))?;
    }
    Ok(m)
}

fn cancelled(market: u32, o: &BookOrder, remaining: u64, reason: CancelReason) -> CancelledOrder {
    CancelledOrder {
        market,
        account: o.account,
        nonce: o.nonce,
        remaining,
        reason,
    }
}

/// Removes a maker order (on `side`) without filling it and uncounts it on the maker,
/// whose account and position are as loaded in this action (nothing wrote them since).
fn drop_maker<S: State>(
    st: &mut S,
    (market, side): (u32, u8),
    (key, order): (&Key, &BookOrder),
    (mut acct, before): (Account, Position),
    reason: CancelReason,
    m: &mut Matched,
) -> Result<(), Halt> {
    remove_order(st, market, key, order)?;
    let mut pos = before.clone();
    release_order(&mut acct, &mut pos, side, order)?;
    store_position_over(st, &mut acct, market, &before, &pos)?;
    store_account(st, &acct)?;
    m.cancelled
        .push(cancelled(market, order, order.remaining, reason));
    Ok(())
}

/// One event against a resting order of another account: a fill, or the order dropped.
fn fill_maker<S: State>(
    st: &mut S,
    mkt: &Market<'_>,
    ms: &mut MarketState,
    taker: &mut Taker,
    order: &Order,
    m: &mut Matched,
    (key, mut maker_order): (Key, BookOrder),
) -> Result<(), Halt> {
    let market = order.market;
    let maker_side = super::book::side_of(!order.is_buy);
    let maker_acct = load_account(st, &maker_order.account)?;
    let maker_before = load_position(st, &maker_order.account, market)?;
    // The maker trades against the taker: it sells when the taker buys.
    let maker_sign: i128 = if order.is_buy { -1 } else { 1 };
    let mut q = m.remaining.min(maker_order.remaining);
    if maker_order.reduce_only {
        let reducible = if maker_before.size.signum() == -maker_sign {
            maker_before.size.unsigned_abs()
        } else {
            0
        };
        if reducible == 0 {
            return drop_maker(
                st,
                (market, maker_side),
                (&key, &maker_order),
                (maker_acct, maker_before),
                CancelReason::ReduceOnly,
                m,
            );
        }
        q = q.min(u64::try_from(reducible).unwrap_or(u64::MAX));
    }
    let price = maker_order.price;
    let qi = i128::from(q);

    let mut maker_pos = maker_before.clone();
    let maker_settled = settle_fill(
        mkt,
        &mut maker_pos,
        maker_sign * qi,
        price,
        ms.funding_index,
    )?;
    let maker_fee = fee(price, q, mkt.params.maker_fee_bps, mkt.params.size_decimals)?;
    // An isolated maker settles into its position's margin and is checked on it alone.
    let mut maker_after = maker_acct.clone();
    credit(
        &mut maker_after,
        &mut maker_pos,
        sub(maker_settled, maker_fee)?,
    )?;
    let mut maker_ok = balance(&maker_after, &maker_pos) >= 0;
    if maker_ok && increases_risk(maker_before.size, maker_pos.size) {
        let risk = account_risk(
            st,
            mkt.genesis,
            &maker_order.account,
            (maker_after.collateral, &maker_after.markets),
            Some((market, &maker_pos, ms)),
            InitialRate::Market,
        )?;
        maker_ok = risk.equity >= risk.initial;
    }
    if !maker_ok {
        return drop_maker(
            st,
            (market, maker_side),
            (&key, &maker_order),
            (maker_acct, maker_before),
            CancelReason::MakerMargin,
            m,
        );
    }

    let taker_before = taker.pos.size;
    let taker_settled = settle_fill(
        mkt,
        &mut taker.pos,
        -maker_sign * qi,
        price,
        ms.funding_index,
    )?;
    let taker_fee = fee(price, q, mkt.params.taker_fee_bps, mkt.params.size_decimals)?;
    credit(
        &mut taker.acct,
        &mut taker.pos,
        sub(taker_settled, taker_fee)?,
    )?;

    // Open interest: a fill that raises it above the cap rejects the whole taker order.
    let maker_oi = sub(long_part(maker_pos.size), long_part(maker_before.size))?;
    let oi_change = add(
        maker_oi,
        sub(long_part(taker.pos.size), long_part(taker_before))?,
    )?;
    let oi = add(i128::from(ms.long_open_interest), oi_change)?;
    if oi_change > 0 && oi > i128::from(mkt.params.open_interest_cap) {
        return reject(Status::OpenInterestCap);
    }
    ms.long_open_interest = u64::try_from(oi).map_err(|_| Overflow)?;
    ms.pnl_pool = sub(ms.pnl_pool, add(maker_settled, taker_settled)?)?;
    m.fees = add(m.fees, add(maker_fee, taker_fee)?)?;
    m.collateral_change = add(
        m.collateral_change,
        sub(
            add(maker_settled, taker_settled)?,
            add(maker_fee, taker_fee)?,
        )?,
    )?;

    let mut maker_acct = maker_after;
    // The filled part moves from the maker's side totals into its position: the
    // reservation, recomputed from both at the next check, follows without bookkeeping.
    release_size(&mut maker_pos, maker_side, &maker_order, q)?;
    maker_order.remaining -= q;
    if maker_order.remaining == 0 {
        remove_order(st, market, &key, &maker_order)?;
        release_order(&mut maker_acct, &mut maker_pos, maker_side, &maker_order)?;
    } else if maker_order.reduce_only && maker_pos.size == 0 {
        // Nothing left to reduce: the rest of a reduce-only order can only add risk.
        remove_order(st, market, &key, &maker_order)?;
        release_order(&mut maker_acct, &mut maker_pos, maker_side, &maker_order)?;
        m.cancelled.push(cancelled(
            market,
            &maker_order,
            maker_order.remaining,
            CancelReason::ReduceOnly,
        ));
    } else {
        update_order(st, &key, &maker_order)?;
    }
    // The book writes above touch no position leaf: the maker's is still `maker_before`.
    store_position_over(st, &mut maker_acct, market, &maker_before, &maker_pos)?;
    store_account(st, &maker_acct)?;

    m.remaining -= q;
    m.filled += q;
    m.fills.push(Fill {
        market,
        maker: maker_order.account,
        maker_nonce: maker_order.nonce,
        taker: order.account,
        taker_nonce: order.nonce,
        price,
        size: q,
        taker_is_buy: order.is_buy,
        maker_fee,
        taker_fee,
    });
    Ok(())
}
