//! The client-order kinds (issue #16): `ClientOrder` (an order with a good-till-time and
//! an optional client id), `CancelByClientId` and `ModifyOrder` (an atomic cancel-replace
//! found by client id). Each names its `signer`, the account or one of its approved agents
//! (checked by `engine::admit_signing`), so none needs an agent twin.
//!
//! A client id is unique among the account's open orders: its leaf `0x14 ‖
//! keccak256(account)[..15] ‖ clientId` exists exactly while the order rests (`book`
//! writes and deletes it with the order). docs/PROTOCOL.md Part 4 §20.

use super::book::{
    find_by_client_id, release_order, release_size, remove_order, side_of_key, update_order,
};
use super::keys::{SIDE_BID, client_id_key};
use super::math::Overflow;
use super::option_risk::trading_params;
use super::orders::{Terms, place_with};
use super::receipt::{OrderOutcome, Receipt, Status};
use super::records::BookOrder;
use super::storage::{load_account, load_position, store_account, store_position};
use super::{BlockContext, Halt, cancels, reject, reject_with};
use crate::action::{
    Cancel, CancelByClientId, ClientOrder, ModifyOrder, NO_EXPIRY, Order, TimeInForce,
};
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::state::{Key, State};

/// `ClientOrder` (after the common checks): an `Order` whose resting part carries its
/// good-till-time and client id.
pub(super) fn place<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    o: &ClientOrder,
) -> Result<Receipt, Halt> {
    if o.client_id != 0 && st.contains(&client_id_key(&o.account, o.client_id))? {
        return reject_with(
            Status::ClientIdTaken,
            format!("client id {} of {}", o.client_id, o.account),
        );
    }
    let terms = Terms {
        expires_at_ms: if o.expires_at == NO_EXPIRY {
            0
        } else {
            o.expires_at
        },
        client_id: o.client_id,
    };
    place_with(st, genesis, ctx, &o.order(), terms)
}

/// The open order `account` tagged `client_id`, live at the batch timestamp: its market,
/// book key and value. An order past its good-till-time that the sweep has not reached
/// yet is as good as gone: `client_order_not_found`, saying when it expired.
pub(super) fn live_order<S: State>(
    st: &mut S,
    ctx: &BlockContext,
    account: &Address,
    client_id: u128,
) -> Result<(u32, Key, BookOrder), Halt> {
    let Some(found) = find_by_client_id(st, account, client_id)? else {
        return reject_with(
            Status::ClientOrderNotFound,
            format!("client id {client_id} of {account}"),
        );
    };
    if found.2.is_expired_at(ctx.timestamp_ms) {
        return reject_with(
            Status::ClientOrderNotFound,
            format!(
                "client id {client_id} of {account} expired at {} ms; the batch is at {} ms",
                found.2.expires_at_ms, ctx.timestamp_ms
            ),
        );
    }
    Ok(found)
}

/// `CancelByClientId` (after the common checks): a `Cancel` of the order found by client id.
pub(super) fn cancel<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    c: &CancelByClientId,
) -> Result<Receipt, Halt> {
    let (market, _, order) = live_order(st, ctx, &c.account, c.client_id)?;
    let by_nonce = Cancel {
        account: c.account,
        market,
        order_nonce: order.nonce,
        nonce: c.nonce,
        expires_at: c.expires_at,
    };
    cancels::cancel(st, genesis, &by_nonce)
}

/// `ModifyOrder` (after the common checks). Unchanged price and a size not above the
/// remaining one: the order is rewritten in place and keeps its time priority. Otherwise
/// it leaves the book and is placed again as a GTC order with the same id, side,
/// reduce-only flag and terms: at the back of its new price level, and the part that
/// crosses fills as a taker.
pub(super) fn modify<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    m: &ModifyOrder,
) -> Result<Receipt, Halt> {
    let (market, key, order) = live_order(st, ctx, &m.account, m.client_id)?;
    if m.size == 0 {
        return reject(Status::ZeroSize);
    }
    let side = side_of_key(&key)?;
    if m.price == order.price && m.size <= order.remaining {
        shrink_in_place(st, genesis, (market, side, &key), order, m.size)?;
        return Ok(Receipt {
            order: Some(OrderOutcome {
                filled: 0,
                resting: m.size,
                cancelled: 0,
            }),
            ..Receipt::ok()
        });
    }
    remove_order(st, market, &key, &order)?;
    let mut acct = load_account(st, &m.account)?;
    let mut pos = load_position(st, &m.account, market)?;
    release_order(&mut acct, &mut pos, side, &order)?;
    store_position(st, &mut acct, market, &pos)?;
    store_account(st, &acct)?;
    let replacement = Order {
        account: m.account,
        market,
        is_buy: side == SIDE_BID,
        price: m.price,
        size: m.size,
        tif: TimeInForce::Gtc,
        reduce_only: order.reduce_only,
        nonce: order.nonce,
        expires_at: m.expires_at,
    };
    let terms = Terms {
        expires_at_ms: order.expires_at_ms,
        client_id: order.client_id,
    };
    place_with(st, genesis, ctx, &replacement, terms)
}

/// The priority-keeping modify, `ModifyOrder`'s and each `BulkModify` item's (Part 4 §20,
/// §27): the same book key, `size` left (a positive multiple of the lot, at most what was
/// left: the caller checks that), the difference released from the side totals. No
/// margin is checked (`margin::Reservation`): the order reserves less than it did.
pub(super) fn shrink_in_place<S: State>(
    st: &mut S,
    genesis: &Genesis,
    (market, side, key): (u32, u8, &Key),
    mut order: BookOrder,
    size: u64,
) -> Result<(), Halt> {
    let Some(params) = trading_params(st, genesis, market)? else {
        return reject(Status::UnknownMarket);
    };
    if size.checked_rem(params.lot_size) != Some(0) {
        return reject_with(
            Status::InvalidLot,
            format!(
                "size {size} is not a multiple of the lot {}",
                params.lot_size
            ),
        );
    }
    let mut acct = load_account(st, &order.account)?;
    let mut pos = load_position(st, &order.account, market)?;
    let released = order.remaining.checked_sub(size).ok_or(Overflow)?;
    release_size(&mut pos, side, &order, released)?;
    order.remaining = size;
    update_order(st, key, &order)?;
    // The account leaf is unchanged: the order keeps its slot and the position stays.
    store_position(st, &mut acct, market, &pos)?;
    Ok(())
}
