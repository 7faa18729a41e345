//! Taking an account's own orders off the book: `Cancel` (one order by id, or else the
//! trigger order or TP/SL pair with that nonce, `triggers::cancel`), `CancelAll`
//! (every order, found through the account's order-index prefix, and every waiting
//! trigger order, `triggers::cancel_all`), and the shared walk
//! that liquidation uses for one market.
//!
//! Cancelling never touches collateral or funding; it only removes leaves and adjusts the
//! `open_orders` counters and side totals (deleting position leaves that become empty),
//! which frees the margin the orders reserved (the reservation is recomputed from them).

use super::book::{find_order, pop_account_order, release_order, remove_order, side_of_key};
use super::keys::account_orders_prefix;
use super::option_risk::is_series;
use super::receipt::{CancelReason, CancelledOrder, Receipt, Status};
use super::records::{Account, BookOrder, Position};
use super::storage::{load_account, load_position, store_account, store_position};
use super::{Halt, reject, triggers};
use crate::action::Cancel;
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::state::State;
use std::collections::BTreeMap;

pub fn cancel<S: State>(st: &mut S, genesis: &Genesis, c: &Cancel) -> Result<Receipt, Halt> {
    if genesis.market(c.market).is_none() && !is_series(c.market) {
        return reject(Status::UnknownMarket);
    }
    let Some((key, order)) = find_order(st, &c.account, c.market, c.order_nonce)? else {
        // Not resting: it may be a trigger order (or a TP/SL pair) waiting for the mark.
        return match triggers::cancel(st, &c.account, c.market, c.order_nonce)? {
            Some(receipt) => Ok(receipt),
            None => reject(Status::OrderNotFound),
        };
    };
    remove_order(st, c.market, &key, &order)?;
    let mut acct = load_account(st, &c.account)?;
    let mut pos = load_position(st, &c.account, c.market)?;
    release_order(&mut acct, &mut pos, side_of_key(&key)?, &order)?;
    store_position(st, &mut acct, c.market, &pos)?;
    store_account(st, &acct)?;
    let mut receipt = Receipt::ok();
    receipt.cancelled.push(CancelledOrder {
        market: c.market,
        account: c.account,
        nonce: order.nonce,
        remaining: order.remaining,
        reason: CancelReason::User,
    });
    Ok(receipt)
}

pub fn cancel_all<S: State>(st: &mut S, owner: &Address) -> Result<Receipt, Halt> {
    let mut acct = load_account(st, owner)?;
    let mut receipt = Receipt::ok();
    receipt.cancelled = cancel_under(
        st,
        &mut acct,
        &account_orders_prefix(owner),
        None,
        CancelReason::User,
    )?;
    store_account(st, &acct)?;
    // Every order means the waiting trigger orders too, a position's TP/SL included, as
    // on Hyperliquid (docs/PROTOCOL.md Part 4 §24).
    receipt.triggered = triggers::cancel_all(st, owner)?;
    Ok(receipt)
}

/// Cancels every order of `acct.owner` under `prefix` (all markets, or one market).
/// `acct` is updated in memory (the caller stores it); position leaves are updated in
/// the state, except `held`: the position of one market the caller holds in memory.
pub fn cancel_under<S: State>(
    st: &mut S,
    acct: &mut Account,
    prefix: &[u8],
    mut held: Option<(u32, &mut Position)>,
    reason: CancelReason,
) -> Result<Vec<CancelledOrder>, Halt> {
    let mut cancelled = Vec::new();
    let mut per_market: BTreeMap<u32, Vec<(u8, BookOrder)>> = BTreeMap::new();
    while let Some((market, side, order)) = pop_account_order(st, prefix)? {
        per_market
            .entry(market)
            .or_default()
            .push((side, order.clone()));
        cancelled.push(CancelledOrder {
            market,
            account: acct.owner,
            nonce: order.nonce,
            remaining: order.remaining,
            reason,
        });
    }
    for (market, orders) in per_market {
        match held.as_mut() {
            Some((m, pos)) if *m == market => release_all(acct, pos, &orders)?,
            _ => {
                let mut pos = load_position(st, &acct.owner, market)?;
                release_all(acct, &mut pos, &orders)?;
                store_position(st, acct, market, &pos)?;
            }
        }
    }
    Ok(cancelled)
}

/// Uncounts `orders` (one market's, with their sides) from the account and position.
fn release_all(
    acct: &mut Account,
    pos: &mut Position,
    orders: &[(u8, BookOrder)],
) -> Result<(), Halt> {
    for (side, order) in orders {
        release_order(acct, pos, *side, order)?;
    }
    Ok(())
}
