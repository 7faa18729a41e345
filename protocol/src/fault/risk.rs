//! The risk-engine faults of [`super::Fault`] (issue #15) that need a liquidation or a
//! tripped market to bite: a sequencer that skips a due liquidation step, or accepts a
//! risk-increasing order in a market in reduce-only mode. Apart from `fault.rs` so the
//! risk rows read together; each is a state the STF never produces, proven by one call
//! (Part 6).

use super::{Corrupted, Executed};
use crate::action::{Order, TimeInForce};
use crate::engine::records::{BREAKER_NONE, Position};
use crate::engine::storage::{
    load_account, load_market, load_position, store_account, store_position,
};
use crate::engine::{self, Receipt};
use crate::genesis::{Genesis, MarketParams};
use crate::primitives::Address;
use crate::state::{State, StateError};

/// `LiquidationSkipped`: for the chunk's first accepted `Liquidate` that closed size, puts
/// back on the liquidated account's position everything its book leg (its fills as taker),
/// backstop (`closed`) and ADL (`deleveraged`) closed, each at its price, while the
/// counterparties keep their side: the account ends as if that step had not run for it.
pub(super) fn skip_liquidation<S: State>(state: &mut S, receipts: &[Receipt]) -> Corrupted {
    for receipt in receipts.iter().filter(|r| r.status.is_ok()) {
        let Some(l) = &receipt.liquidation else {
            continue;
        };
        // Every close as (the account's signed size closed, price): a long sells, so a
        // fill whose taker sold closed `+size` of a long.
        let book = receipt
            .fills
            .iter()
            .filter(|f| f.taker == l.account && f.market == l.market)
            .map(|f| {
                let size = i128::from(f.size);
                (if f.taker_is_buy { -size } else { size }, f.price)
            });
        let backstop = l.closed.iter().map(|c| (c.size, c.price));
        let adl = l.deleveraged.iter().map(|d| (d.size, d.price));
        let (mut size, mut cost) = (0i128, 0i128);
        for (closed, price) in book.chain(backstop).chain(adl) {
            size = size.saturating_add(closed);
            cost = cost.saturating_add(closed.saturating_mul(i128::from(price)));
        }
        if size == 0 {
            continue;
        }
        let mut acct = load_account(state, &l.account)?;
        let pos = load_position(state, &l.account, l.market)?;
        let funding_snapshot = if pos.size == 0 {
            load_market(state, l.market)?.funding_index
        } else {
            pos.funding_snapshot
        };
        let kept = Position {
            size: pos.size.saturating_add(size),
            cost: pos.cost.saturating_add(cost),
            funding_snapshot,
            ..pos
        };
        store_position(state, &mut acct, l.market, &kept)?;
        store_account(state, &acct)?;
        return Ok(Some(format!(
            "skipped the liquidation of {} in market {}: it keeps the {size} its liquidation closed",
            l.account, l.market
        )));
    }
    Ok(None)
}

/// `CircuitBreakerIgnored`: for the first account acting in the chunk (an accepted action)
/// and the first market tripped by a price move, places one lot for that account resting
/// at the far edge of the band, on the side that adds to its position (a buy when flat),
/// with the breaker ignored. Tries the next account when the order is refused otherwise.
pub(super) fn ignore_breaker<S: State>(state: &mut S, chunk: &Executed<'_>) -> Corrupted {
    let Some((params, mark)) = tripped_market(state, chunk.genesis)? else {
        return Ok(None);
    };
    let mut tried: Vec<Address> = Vec::new();
    for account in super::accepted_actors(chunk.txs, chunk.receipts) {
        if tried.contains(&account) || account == engine::INSURANCE_FUND {
            continue;
        }
        tried.push(account);
        let held = load_position(state, &account, params.id)?.size;
        let order = risk_increasing_order(params, mark, account, held >= 0);
        let receipt = engine::place_ignoring_breaker(state, chunk.genesis, chunk.ctx, &order)?;
        if receipt.status.is_ok() {
            let side = if order.is_buy { "buy" } else { "sell" };
            return Ok(Some(format!(
                "accepted {account}'s {side} of {} at {} in market {} although its circuit breaker had tripped (reduce-only mode)",
                order.size, order.price, params.id
            )));
        }
    }
    Ok(None)
}

/// The first perp market whose breaker tripped on a price move (a stale price is refused
/// as `stale_price` anyway), with its mark.
fn tripped_market<'g, S: State>(
    state: &mut S,
    genesis: &'g Genesis,
) -> Result<Option<(&'g MarketParams, u64)>, StateError> {
    for params in &genesis.markets {
        let ms = load_market(state, params.id)?;
        if ms.breaker_reason != BREAKER_NONE && ms.mark_price != 0 {
            return Ok(Some((params, ms.mark_price)));
        }
    }
    Ok(None)
}

/// One lot for `account` at the edge of `params`' band around `mark` on the far side (a
/// buy at the lowest price the band takes, a sell at the highest), so it rests unless the
/// book reaches that far; nonce `u64::MAX` (no signed order uses it), as the faulty
/// sequencer invents it.
fn risk_increasing_order(
    params: &MarketParams,
    mark: u64,
    account: Address,
    is_buy: bool,
) -> Order {
    let reach = u128::from(mark) * u128::from(params.price_band_bps) / 10_000;
    let reach = u64::try_from(reach).unwrap_or(u64::MAX);
    let edge = if is_buy {
        mark.saturating_sub(reach).div_ceil(params.tick_size) * params.tick_size
    } else {
        mark.saturating_add(reach) / params.tick_size * params.tick_size
    };
    Order {
        account,
        market: params.id,
        is_buy,
        price: edge.max(params.tick_size),
        size: params.lot_size,
        tif: TimeInForce::Gtc,
        reduce_only: false,
        nonce: u64::MAX,
        expires_at: u64::MAX,
    }
}
